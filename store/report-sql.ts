/**
 * The report reads (store/reports.ts) for both backends. Lists of ids become `IN (?, ?, ...)`
 * with bound parameters; the grouping column is picked from a fixed list, never from input.
 */
import { invalid } from './errors.js';
import { checkIds, marks, num } from './sql-params.js';
import { AD_DIMENSIONS, REPORT_DIMENSIONS, type ReportDimension } from './migrations.js';
import type { CampaignGroup, CampaignTotals, CustomTotals, DayDevices, DimensionTotals, HourTotals, LineItemHour, ReportQueries } from './reports.js';
import { CAMPAIGN_GROUPS } from './reports.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Hours [fromHour, toHour] as the whole UTC days inside (read from a daily rollup) and the
 * hours left at either end (read from the hourly facts): exact for a range in any time zone.
 */
export function splitRange(fromHour: number, toHour: number): { days: [string, string] | null; edges: [number, number][] } {
  const firstDay = Math.ceil(fromHour / DAY_MS) * DAY_MS;
  const endDay = Math.floor((toHour + HOUR_MS) / DAY_MS) * DAY_MS;
  if (firstDay >= endDay) return { days: null, edges: fromHour <= toHour ? [[fromHour, toHour]] : [] };
  const edges: [number, number][] = [];
  if (fromHour < firstDay) edges.push([fromHour, firstDay - HOUR_MS]);
  if (toHour >= endDay) edges.push([endDay, toHour]);
  return { days: [dayOf(firstDay), dayOf(endDay - DAY_MS)], edges };
}
const ids = (what: string, list: readonly string[]): readonly string[] => checkIds('report filter', what, list);

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

  async dimensionTotals(appIds: readonly string[], dim: ReportDimension, fromHour: number, toHour: number): Promise<DimensionTotals[]> {
    if (!REPORT_DIMENSIONS.includes(dim)) throw invalid('report filter', [`dim: expected one of ${REPORT_DIMENSIONS.join(', ')}, got ${JSON.stringify(dim)}`]);
    if (ids('appIds', appIds).length === 0) return [];
    const sums = 'SUM(events) AS events, SUM(sessions) AS sessions, SUM(session_ms) AS session_ms, SUM(ad_impression) AS ad_impression, SUM(ad_click) AS ad_click, SUM(custom) AS custom';
    const { days, edges } = splitRange(fromHour, toHour);
    const rows = await this.db.query(async (x) => {
      const out: Row[] = [];
      if (days) out.push(...(await x.all(`SELECT value, ${sums} FROM agg_app_dim_daily WHERE app_id IN (${marks(appIds.length)}) AND day >= ? AND day <= ? AND dim = ? GROUP BY value`, [...appIds, days[0], days[1], dim])));
      for (const [a, b] of edges) out.push(...(await x.all(`SELECT ${dim} AS value, ${sums} FROM agg_app_hourly WHERE app_id IN (${marks(appIds.length)}) AND hour >= ? AND hour <= ? GROUP BY ${dim}`, [...appIds, a, b])));
      return out;
    });
    const by = new Map<string, DimensionTotals>();
    for (const r of rows) {
      const v = String(r.value);
      const t = by.get(v) ?? { value: v, events: 0, sessions: 0, session_ms: 0, ad_impression: 0, ad_click: 0, custom: 0 };
      t.events += num(r, 'events');
      t.sessions += num(r, 'sessions');
      t.session_ms += num(r, 'session_ms');
      t.ad_impression += num(r, 'ad_impression');
      t.ad_click += num(r, 'ad_click');
      t.custom += num(r, 'custom');
      by.set(v, t);
    }
    return [...by.values()].sort((a, b) => b.events - a.events || (a.value < b.value ? -1 : 1));
  }

  async customTotals(appIds: readonly string[], fromDay: string, toDay: string, name?: string, prop?: string): Promise<CustomTotals[]> {
    if (ids('appIds', appIds).length === 0) return [];
    const key = name === undefined ? 'name' : prop === undefined ? 'prop' : 'value';
    const where = [`app_id IN (${marks(appIds.length)})`, 'day >= ?', 'day <= ?'];
    const params: unknown[] = [...appIds, fromDay, toDay];
    if (name !== undefined) where.push('name = ?'), params.push(name);
    if (prop !== undefined) where.push('prop = ?'), params.push(prop);
    // Each event has one row with prop '' (the name itself) and one per prop it carries: names count
    // only the '' rows (summing every row counted an event 1 + props times), prop lists leave them out.
    else if (name === undefined) where.push("prop = ''");
    else where.push("prop <> ''");
    const rows = await this.db.query((x) =>
      x.all(`SELECT ${key} AS k, SUM(\`count\`) AS n FROM agg_custom_daily WHERE ${where.join(' AND ')} GROUP BY ${key} ORDER BY SUM(\`count\`) DESC, ${key} LIMIT 1000`, params),
    );
    return rows.map((r) => ({ key: String(r.k), count: num(r, 'n') }));
  }

  async campaignTotals(filter: { appIds?: readonly string[]; campaignIds?: readonly string[] }, by: CampaignGroup, fromHour: number, toHour: number): Promise<CampaignTotals[]> {
    if (!CAMPAIGN_GROUPS.includes(by)) throw invalid('report filter', [`by: expected one of ${CAMPAIGN_GROUPS.join(', ')}, got ${JSON.stringify(by)}`]);
    if (!filter.appIds && !filter.campaignIds) throw invalid('report filter', ['expected appIds or campaignIds']);
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.appIds) {
      if (ids('appIds', filter.appIds).length === 0) return [];
      where.push(`app_id IN (${marks(filter.appIds.length)})`), params.push(...filter.appIds);
    }
    if (filter.campaignIds) {
      if (ids('campaignIds', filter.campaignIds).length === 0) return [];
      where.push(`campaign_id IN (${marks(filter.campaignIds.length)})`), params.push(...filter.campaignIds);
    }
    const sums = 'SUM(requests) AS requests, SUM(impressions) AS impressions, SUM(clicks) AS clicks, SUM(interactions) AS interactions';
    const w = where.join(' AND ');
    const rows = await this.db.query(async (x) => {
      // Line item x hour rollup: exact for any hour range.
      if (!(AD_DIMENSIONS as readonly string[]).includes(by)) return x.all(`SELECT ${by} AS k, ${sums} FROM agg_campaign_hour_li WHERE ${w} AND hour >= ? AND hour <= ? GROUP BY ${by}`, [...params, fromHour, toHour]);
      // Daily rollup for the whole UTC days, the hourly facts for the hours at either end.
      const { days, edges } = splitRange(fromHour, toHour);
      const out: Row[] = [];
      if (days) out.push(...(await x.all(`SELECT value AS k, ${sums} FROM agg_campaign_dim_daily WHERE ${w} AND dim = ? AND day >= ? AND day <= ? GROUP BY value`, [...params, by, days[0], days[1]])));
      for (const [a, b] of edges) out.push(...(await x.all(`SELECT ${by} AS k, ${sums} FROM agg_campaign_hourly WHERE ${w} AND hour >= ? AND hour <= ? GROUP BY ${by}`, [...params, a, b])));
      return out;
    });
    const byKey = new Map<string, CampaignTotals>();
    for (const r of rows) {
      const k = String(r.k);
      const t = byKey.get(k) ?? { key: k, requests: 0, impressions: 0, clicks: 0, interactions: 0 };
      t.requests += num(r, 'requests');
      t.impressions += num(r, 'impressions');
      t.clicks += num(r, 'clicks');
      t.interactions += num(r, 'interactions');
      byKey.set(k, t);
    }
    const out = [...byKey.values()];
    if (by === 'hour') return out.sort((a, b) => Number(a.key) - Number(b.key));
    if (by === 'day') return out.sort((a, b) => (a.key < b.key ? -1 : 1));
    return out.sort((a, b) => b.impressions - a.impressions || (a.key < b.key ? -1 : 1));
  }

  async lineItemHours(campaignId: string, fromHour: number, toHour: number): Promise<LineItemHour[]> {
    const rows = await this.db.query((x) =>
      x.all('SELECT line_item_id, hour, SUM(impressions) AS impressions, SUM(clicks) AS clicks FROM agg_campaign_hour_li WHERE campaign_id = ? AND hour >= ? AND hour <= ? GROUP BY line_item_id, hour ORDER BY hour, line_item_id', [campaignId, fromHour, toHour]),
    );
    return rows.map((r) => ({ line_item_id: String(r.line_item_id), hour: num(r, 'hour'), impressions: num(r, 'impressions'), clicks: num(r, 'clicks') }));
  }

  async latestHours(appIds: readonly string[]): Promise<Map<string, number>> {
    if (ids('appIds', appIds).length === 0) return new Map();
    const rows = await this.db.query((x) => x.all(`SELECT app_id, MAX(hour) AS h FROM agg_app_hour_total WHERE app_id IN (${marks(appIds.length)}) GROUP BY app_id`, [...appIds]));
    return new Map(rows.map((r) => [String(r.app_id), num(r, 'h')]));
  }
}
