/**
 * The report reads (store/reports.ts) for both backends. Lists of ids become `IN (?, ?, ...)`
 * with bound parameters; the grouping column is picked from a fixed list, never from input.
 */
import { invalid } from './errors.js';
import { REPORT_DIMENSIONS, type ReportDimension } from './migrations.js';
import type { CampaignGroup, CampaignTotals, CustomTotals, DayDevices, DimensionTotals, HourTotals, ReportQueries } from './reports.js';
import { CAMPAIGN_GROUPS } from './reports.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';

const MAX_IDS = 10_000;
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const num = (r: Row, k: string): number => Number(r[k] ?? 0);

function ids(what: string, list: readonly string[]): readonly string[] {
  if (!Array.isArray(list) || list.length > MAX_IDS || list.some((x) => typeof x !== 'string')) throw invalid('report filter', [`${what}: expected at most ${MAX_IDS} ids`]);
  return list;
}

export class ReportSql implements ReportQueries {
  constructor(private readonly db: SqlAccess) {}

  async hourTotals(appIds: readonly string[], fromHour: number, toHour: number): Promise<HourTotals[]> {
    if (ids('appIds', appIds).length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(
        `SELECT hour, SUM(events) AS events, SUM(sessions) AS sessions, SUM(session_ms) AS session_ms, SUM(app_open) AS app_open,
           SUM(ad_request) AS ad_request, SUM(ad_impression) AS ad_impression, SUM(ad_click) AS ad_click, SUM(custom) AS custom
         FROM agg_app_hour_total WHERE app_id IN (${marks(appIds.length)}) AND hour >= ? AND hour <= ? GROUP BY hour ORDER BY hour`,
        [...appIds, fromHour, toHour],
      ),
    );
    return rows.map((r) => ({
      hour: num(r, 'hour'), events: num(r, 'events'), sessions: num(r, 'sessions'), session_ms: num(r, 'session_ms'), app_open: num(r, 'app_open'),
      ad_request: num(r, 'ad_request'), ad_impression: num(r, 'ad_impression'), ad_click: num(r, 'ad_click'), custom: num(r, 'custom'),
    }));
  }

  async dayDevices(appIds: readonly string[], fromDay: string, toDay: string): Promise<DayDevices[]> {
    if (ids('appIds', appIds).length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(
        `SELECT app_id, day, platform, events, devices, devices_hll, seq_gaps, duplicates FROM agg_app_daily
         WHERE app_id IN (${marks(appIds.length)}) AND day >= ? AND day <= ? ORDER BY day, app_id, platform`,
        [...appIds, fromDay, toDay],
      ),
    );
    return rows.map((r) => ({
      app_id: String(r.app_id), day: String(r.day), platform: String(r.platform), events: num(r, 'events'), devices: num(r, 'devices'),
      devices_hll: String(r.devices_hll), seq_gaps: num(r, 'seq_gaps'), duplicates: num(r, 'duplicates'),
    }));
  }

  async dimensionTotals(appIds: readonly string[], dim: ReportDimension, fromDay: string, toDay: string): Promise<DimensionTotals[]> {
    if (!REPORT_DIMENSIONS.includes(dim)) throw invalid('report filter', [`dim: expected one of ${REPORT_DIMENSIONS.join(', ')}, got ${JSON.stringify(dim)}`]);
    if (ids('appIds', appIds).length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(
        `SELECT value, SUM(events) AS events, SUM(sessions) AS sessions, SUM(session_ms) AS session_ms, SUM(ad_impression) AS ad_impression,
           SUM(ad_click) AS ad_click, SUM(custom) AS custom
         FROM agg_app_dim_daily WHERE app_id IN (${marks(appIds.length)}) AND day >= ? AND day <= ? AND dim = ? GROUP BY value ORDER BY SUM(events) DESC, value`,
        [...appIds, fromDay, toDay, dim],
      ),
    );
    return rows.map((r) => ({ value: String(r.value), events: num(r, 'events'), sessions: num(r, 'sessions'), session_ms: num(r, 'session_ms'), ad_impression: num(r, 'ad_impression'), ad_click: num(r, 'ad_click'), custom: num(r, 'custom') }));
  }

  async customTotals(appIds: readonly string[], fromDay: string, toDay: string, name?: string, prop?: string): Promise<CustomTotals[]> {
    if (ids('appIds', appIds).length === 0) return [];
    const key = name === undefined ? 'name' : prop === undefined ? 'prop' : 'value';
    const where = [`app_id IN (${marks(appIds.length)})`, 'day >= ?', 'day <= ?'];
    const params: unknown[] = [...appIds, fromDay, toDay];
    if (name !== undefined) where.push('name = ?'), params.push(name);
    if (prop !== undefined) where.push('prop = ?'), params.push(prop);
    // Every custom event has one row per prop: counting names means counting one prop's rows would miss prop-less events, so names sum the '' prop rows and props.
    const rows = await this.db.query((x) =>
      x.all(`SELECT ${key} AS k, SUM(\`count\`) AS n FROM agg_custom_daily WHERE ${where.join(' AND ')} GROUP BY ${key} ORDER BY SUM(\`count\`) DESC, ${key} LIMIT 1000`, params),
    );
    return rows.map((r) => ({ key: String(r.k), count: num(r, 'n') }));
  }

  async campaignTotals(filter: { appIds?: readonly string[]; campaignIds?: readonly string[] }, by: CampaignGroup, fromHour: number, toHour: number): Promise<CampaignTotals[]> {
    if (!CAMPAIGN_GROUPS.includes(by)) throw invalid('report filter', [`by: expected one of ${CAMPAIGN_GROUPS.join(', ')}, got ${JSON.stringify(by)}`]);
    const where = ['hour >= ?', 'hour <= ?'];
    const params: unknown[] = [fromHour, toHour];
    if (filter.appIds) {
      if (ids('appIds', filter.appIds).length === 0) return [];
      where.push(`app_id IN (${marks(filter.appIds.length)})`), params.push(...filter.appIds);
    }
    if (filter.campaignIds) {
      if (ids('campaignIds', filter.campaignIds).length === 0) return [];
      where.push(`campaign_id IN (${marks(filter.campaignIds.length)})`), params.push(...filter.campaignIds);
    }
    if (!filter.appIds && !filter.campaignIds) throw invalid('report filter', ['expected appIds or campaignIds']);
    const rows = await this.db.query((x) =>
      x.all(
        `SELECT ${by} AS k, SUM(requests) AS requests, SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(interactions) AS interactions
         FROM agg_campaign_hourly WHERE ${where.join(' AND ')} GROUP BY ${by} ORDER BY ${by === 'hour' || by === 'day' ? by : 'SUM(impressions) DESC, ' + by}`,
        params,
      ),
    );
    return rows.map((r) => ({ key: String(r.k), requests: num(r, 'requests'), impressions: num(r, 'impressions'), clicks: num(r, 'clicks'), interactions: num(r, 'interactions') }));
  }

  async latestHours(appIds: readonly string[]): Promise<Map<string, number>> {
    if (ids('appIds', appIds).length === 0) return new Map();
    const rows = await this.db.query((x) => x.all(`SELECT app_id, MAX(hour) AS h FROM agg_app_hour_total WHERE app_id IN (${marks(appIds.length)}) GROUP BY app_id`, [...appIds]));
    return new Map(rows.map((r) => [String(r.app_id), num(r, 'h')]));
  }
}
