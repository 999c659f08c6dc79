/**
 * The fact part of the report store (store/facts.ts), written once for both backends against
 * the shared executor: app-day loads that replace in one transaction and log restatements,
 * attribution, delivery recomputed from the campaign facts, and the report reads. Values are
 * always bound parameters; only constant SQL fragments are put together.
 */
import { asRows } from './rows.js';
import { DAY_MS, parseUtcDay } from '../common/time.js';
import { invalid } from './errors.js';
import { checkAppDayFacts } from './fact-check.js';
import { APP_DAILY, APP_HOURLY, ATTRIBUTION, CAMPAIGN_HOURLY, CUSTOM_DAILY, insertRows, QUARANTINE, RESTATEMENTS, TOUCHES } from './fact-tables.js';
import type { FactTable } from './fact-tables.js';
import type { AppDailyRow, AppDayFacts, AppHourlyRow, AttributionRow, CampaignHourlyRow, CustomDailyRow, QuarantineRow, RestatementRow, TouchRow } from './facts.js';
import type { SqlAccess } from './sql-store.js';
import { appDayRollups } from './rollups.js';

/** The restated metrics, in the order the database sorts them (binary). */
const METRICS = ['devices', 'events', 'session_ms', 'sessions'] as const;
type Sums = Record<(typeof METRICS)[number], number>;
const MAX_PROBLEMS = 20;
const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000;

const HOUR_RANGE = 'app_id = ? AND hour >= ? AND hour < ?';
const DAY_IS = 'app_id = ? AND day = ?';
const DAYS = 'app_id = ? AND day >= ? AND day <= ?';
const CAMPAIGN_ORDER = 'ORDER BY app_id, hour, campaign_id, line_item_id, creative_id, slot_id, platform, country';

const SQL = {
  oldSums: `SELECT hour, SUM(events) AS events, SUM(sessions) AS sessions, SUM(session_ms) AS session_ms, SUM(devices) AS devices
    FROM agg_app_hourly WHERE ${HOUR_RANGE} GROUP BY hour`,
  /** The app-day's rows in the five tables, and whether each is keyed by the hour range or the day. */
  deletes: [
    [`DELETE FROM agg_app_hourly WHERE ${HOUR_RANGE}`, 'hours'],
    [`DELETE FROM agg_app_daily WHERE ${DAY_IS}`, 'day'],
    [`DELETE FROM agg_campaign_hourly WHERE ${HOUR_RANGE}`, 'hours'],
    [`DELETE FROM agg_custom_daily WHERE ${DAY_IS}`, 'day'],
    [`DELETE FROM touches WHERE ${DAY_IS}`, 'day'],
    [`DELETE FROM agg_app_hour_total WHERE ${HOUR_RANGE}`, 'hours'],
    [`DELETE FROM agg_app_dim_daily WHERE ${DAY_IS}`, 'day'],
    [`DELETE FROM agg_campaign_hour_li WHERE ${HOUR_RANGE}`, 'hours'],
    [`DELETE FROM agg_campaign_dim_daily WHERE ${DAY_IS}`, 'day'],
    [`DELETE FROM agg_money_slot_daily WHERE ${DAY_IS}`, 'day'],
    [`DELETE FROM agg_app_dim_hourly WHERE ${HOUR_RANGE}`, 'hours'],
  ] as const,
  deleteAttribution: `DELETE FROM agg_attribution_daily WHERE ${DAYS}`,
  deleteDelivery: 'DELETE FROM delivery WHERE hour >= ? AND hour <= ?',
  /** Delivery is what the ad server paces on: every ad with a line item, per hour and country. */
  insertDelivery: `INSERT INTO delivery (line_item_id, hour, country, impressions, clicks)
    SELECT line_item_id, hour, country, SUM(impressions), SUM(clicks) FROM agg_campaign_hourly
    WHERE app_id IN (SELECT DISTINCT app_id FROM agg_app_hour_total) AND hour >= ? AND hour <= ? AND line_item_id <> '' GROUP BY line_item_id, hour, country`,
  appHourly: `${APP_HOURLY.select} WHERE app_id = ? AND hour >= ? AND hour <= ? ORDER BY hour, platform, os_version, app_version, country, device_class`,
  appDaily: `${APP_DAILY.select} WHERE ${DAYS} ORDER BY day, platform`,
  campaignHourly: {
    all: `${CAMPAIGN_HOURLY.select} WHERE hour >= ? AND hour <= ? ${CAMPAIGN_ORDER}`,
    app: `${CAMPAIGN_HOURLY.select} WHERE app_id = ? AND hour >= ? AND hour <= ? ${CAMPAIGN_ORDER}`,
    campaign: `${CAMPAIGN_HOURLY.select} WHERE campaign_id = ? AND hour >= ? AND hour <= ? ${CAMPAIGN_ORDER}`,
    both: `${CAMPAIGN_HOURLY.select} WHERE app_id = ? AND campaign_id = ? AND hour >= ? AND hour <= ? ${CAMPAIGN_ORDER}`,
  },
  customDaily: `${CUSTOM_DAILY.select} WHERE ${DAYS} ORDER BY day, name, prop, value`,
  touches: `${TOUCHES.select} WHERE ${DAYS} ORDER BY device_id, ts, ord, day`,
  attribution: `${ATTRIBUTION.select} WHERE ${DAYS} ORDER BY day, campaign_id, creative_id, model`,
  /** Newest first. */
  quarantined: (byApp: boolean, bySince: boolean): string =>
    `${QUARANTINE.select} WHERE ${byApp ? 'app_id = ?' : '1 = 1'} AND ${bySince ? 'at >= ?' : '1 = 1'} ORDER BY at DESC, lake_key, app_id, day, reason LIMIT ?`,
  /** Newest first. */
  restatements: (byApp: boolean, bySince: boolean): string =>
    `${RESTATEMENTS.select} WHERE ${byApp ? 'app_id = ?' : '1 = 1'} AND ${bySince ? 'at >= ?' : '1 = 1'} ORDER BY at DESC, run_id, app_id, hour, metric LIMIT ?`,
} as const;

function text(problems: string[], field: string, v: unknown, max: number): void {
  if (typeof v !== 'string' || v === '' || [...v].length > max) problems.push(`${field}: expected a non-empty string of at most ${max} characters, got ${JSON.stringify(v)}`);
}
function int(problems: string[], field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) problems.push(`${field}: expected an integer (epoch ms), got ${JSON.stringify(v)}`);
}
function day(problems: string[], field: string, v: unknown): number {
  const ms = typeof v === 'string' ? parseUtcDay(v) : Number.NaN;
  if (Number.isNaN(ms)) problems.push(`${field}: expected a UTC day YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return ms;
}
function refuse(what: string, problems: string[]): void {
  if (problems.length > 0) throw invalid(what, problems.slice(0, MAX_PROBLEMS));
}

/** Checks every row of one table of an app-day load; `extra` adds the table's own rules. */
function checkRows<T extends { app_id: string; day: string }>(table: FactTable<T>, rows: unknown, appId: string, dayOk: (d: string) => boolean, problems: string[], extra?: (r: T) => string | undefined): void {
  if (!Array.isArray(rows)) {
    problems.push(`${table.name}: expected an array of rows, got ${typeof rows}`);
    return;
  }
  for (let i = 0; i < rows.length && problems.length < MAX_PROBLEMS; i++) {
    const r = rows[i] as T;
    const where = `${table.name} row ${i}`;
    const before = problems.length;
    table.check(r, where, problems);
    if (problems.length > before) continue;
    if (r.app_id !== appId) problems.push(`${where}: app_id: expected ${JSON.stringify(appId)}, got ${JSON.stringify(r.app_id)}`);
    else if (!dayOk(r.day)) problems.push(`${where}: day: ${JSON.stringify(r.day)} is outside the days being replaced`);
    else {
      const p = extra?.(r);
      if (p !== undefined) problems.push(`${where}: ${p}`);
    }
  }
}

function hourSums(rows: readonly Record<string, unknown>[]): Map<number, Sums> {
  const out = new Map<number, Sums>();
  for (const r of rows) {
    const h = Number(r.hour);
    const s = out.get(h) ?? { devices: 0, events: 0, session_ms: 0, sessions: 0 };
    s.devices += Number(r.devices);
    s.events += Number(r.events);
    s.session_ms += Number(r.session_ms);
    s.sessions += Number(r.sessions);
    out.set(h, s);
  }
  return out;
}

/** The FactStore methods but the job bookkeeping (store/job-sql.ts); SqlStore delegates to it. */
export class FactSql {
  constructor(private readonly db: SqlAccess) {}

  async replaceAppDay(appId: string, dayStr: string, facts: AppDayFacts, runId: string, at: number): Promise<RestatementRow[]> {
    const problems: string[] = [];
    text(problems, 'app_id', appId, 64);
    const from = day(problems, 'day', dayStr);
    if (typeof runId !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(runId)) problems.push(`run_id: expected an id of 1 to 64 letters, digits, '_', '.', ':' or '-', got ${JSON.stringify(runId)}`);
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) problems.push(`at: expected epoch ms, got ${JSON.stringify(at)}`);
    if (typeof facts !== 'object' || facts === null) problems.push('facts: expected { hourly, daily, campaign, custom, touches }');
    refuse('app-day facts', problems);
    const to = from + DAY_MS;
    checkAppDayFacts(appId, dayStr, facts, problems, MAX_PROBLEMS);
    refuse('app-day facts', problems);
    const now = hourSums(asRows(facts.hourly));

    // Duplicate rows are left to the primary keys: STORE_ERR_CONFLICT, and the transaction leaves the old rows.
    return this.db.transaction('write', async (x) => {
      const before = hourSums(await x.all(SQL.oldSums, [appId, from, to]));
      let deleted = 0;
      for (const [sql, key] of SQL.deletes) deleted += await x.run(sql, key === 'hours' ? [appId, from, to] : [appId, dayStr]);
      const most = this.db.kind === 'sqlite' ? 1 : undefined;
      await insertRows(x, APP_HOURLY, facts.hourly, most);
      await insertRows(x, APP_DAILY, facts.daily, most);
      await insertRows(x, CAMPAIGN_HOURLY, facts.campaign, most);
      await insertRows(x, CUSTOM_DAILY, facts.custom, most);
      await insertRows(x, TOUCHES, facts.touches, most);
      // The report rollups, computed from the facts in hand (store/rollups.ts).
      for (const [table, rows] of appDayRollups(facts)) await insertRows(x, table, rows, most);
      // A first load restates nothing; after that every changed (hour, metric) is logged.
      const restated: RestatementRow[] = [];
      if (deleted === 0) return restated;
      const zero: Sums = { devices: 0, events: 0, session_ms: 0, sessions: 0 };
      for (const hour of [...new Set([...before.keys(), ...now.keys()])].sort((a, b) => a - b)) {
        const o = before.get(hour) ?? zero;
        const n = now.get(hour) ?? zero;
        for (const metric of METRICS) {
          if (o[metric] !== n[metric]) restated.push({ run_id: runId, app_id: appId, hour, metric, old_value: o[metric], new_value: n[metric], at });
        }
      }
      await insertRows(x, RESTATEMENTS, restated);
      return restated;
    });
  }

  async replaceAttribution(appId: string, fromDay: string, toDay: string, rows: readonly AttributionRow[]): Promise<void> {
    const problems: string[] = [];
    text(problems, 'app_id', appId, 64);
    day(problems, 'fromDay', fromDay);
    day(problems, 'toDay', toDay);
    refuse('attribution', problems);
    checkRows<AttributionRow>(ATTRIBUTION, rows, appId, (d) => d >= fromDay && d <= toDay && !Number.isNaN(parseUtcDay(d)), problems);
    refuse('attribution', problems);
    await this.db.transaction('write', async (x) => {
      await x.run(SQL.deleteAttribution, [appId, fromDay, toDay]);
      await insertRows(x, ATTRIBUTION, rows);
    });
  }

  async refreshDelivery(fromHour: number, toHour: number): Promise<void> {
    const problems: string[] = [];
    int(problems, 'fromHour', fromHour);
    int(problems, 'toHour', toHour);
    refuse('delivery refresh', problems);
    await this.db.transaction('write', async (x) => {
      await x.run(SQL.deleteDelivery, [fromHour, toHour]);
      await x.run(SQL.insertDelivery, [fromHour, toHour]);
    });
  }

  // ---- reads: inclusive ranges, ordered by the key columns ----

  private async read<T>(table: FactTable<T>, sql: string, params: unknown[]): Promise<T[]> {
    const rows = await this.db.query((x) => x.all(sql, params));
    return rows.map((r) => table.fromRow(r));
  }

  private days(what: string, appId: string, fromDay: string, toDay: string): void {
    const problems: string[] = [];
    if (typeof appId !== 'string') problems.push(`app_id: expected a string, got ${JSON.stringify(appId)}`);
    day(problems, 'fromDay', fromDay);
    day(problems, 'toDay', toDay);
    refuse(what, problems);
  }

  private hours(what: string, fromHour: number, toHour: number, appId?: unknown): void {
    const problems: string[] = [];
    if (appId !== undefined && typeof appId !== 'string') problems.push(`app_id: expected a string, got ${JSON.stringify(appId)}`);
    int(problems, 'fromHour', fromHour);
    int(problems, 'toHour', toHour);
    refuse(what, problems);
  }

  async touches(appId: string, fromDay: string, toDay: string): Promise<TouchRow[]> {
    this.days('touches query', appId, fromDay, toDay);
    return this.read(TOUCHES, SQL.touches, [appId, fromDay, toDay]);
  }

  async appHourly(appId: string, fromHour: number, toHour: number): Promise<AppHourlyRow[]> {
    if (typeof appId !== 'string') throw invalid('hourly query', [`app_id: expected a string, got ${JSON.stringify(appId)}`]);
    this.hours('hourly query', fromHour, toHour);
    return this.read(APP_HOURLY, SQL.appHourly, [appId, fromHour, toHour]);
  }

  async appDaily(appId: string, fromDay: string, toDay: string): Promise<AppDailyRow[]> {
    this.days('daily query', appId, fromDay, toDay);
    return this.read(APP_DAILY, SQL.appDaily, [appId, fromDay, toDay]);
  }

  async campaignHourly(filter: { app_id?: string; campaign_id?: string; fromHour: number; toHour: number }): Promise<CampaignHourlyRow[]> {
    const { app_id: app, campaign_id: cmp, fromHour, toHour } = filter ?? ({} as typeof filter);
    this.hours('campaign query', fromHour, toHour, app);
    if (cmp !== undefined && typeof cmp !== 'string') throw invalid('campaign query', [`campaign_id: expected a string, got ${JSON.stringify(cmp)}`]);
    const range = [fromHour, toHour];
    if (app !== undefined && cmp !== undefined) return this.read(CAMPAIGN_HOURLY, SQL.campaignHourly.both, [app, cmp, ...range]);
    if (app !== undefined) return this.read(CAMPAIGN_HOURLY, SQL.campaignHourly.app, [app, ...range]);
    if (cmp !== undefined) return this.read(CAMPAIGN_HOURLY, SQL.campaignHourly.campaign, [cmp, ...range]);
    return this.read(CAMPAIGN_HOURLY, SQL.campaignHourly.all, range);
  }

  async customDaily(appId: string, fromDay: string, toDay: string): Promise<CustomDailyRow[]> {
    this.days('custom query', appId, fromDay, toDay);
    return this.read(CUSTOM_DAILY, SQL.customDaily, [appId, fromDay, toDay]);
  }

  async attribution(appId: string, fromDay: string, toDay: string): Promise<AttributionRow[]> {
    this.days('attribution query', appId, fromDay, toDay);
    return this.read(ATTRIBUTION, SQL.attribution, [appId, fromDay, toDay]);
  }

  /** Newest first (`at` descending); `since` bounds `at` (inclusive); `limit` defaults to 1,000. */
  async restatements(filter: { app_id?: string; since?: number; limit?: number }): Promise<RestatementRow[]> {
    const { sql, params } = this.logQuery('restatements query', filter, SQL.restatements);
    return this.read(RESTATEMENTS, sql, params);
  }

  async recordQuarantine(rows: readonly QuarantineRow[]): Promise<void> {
    const problems: string[] = [];
    if (!Array.isArray(rows)) problems.push(`rows: expected an array, got ${typeof rows}`);
    else {
      for (const [i, row] of rows.entries()) {
        if (problems.length >= MAX_PROBLEMS) break;
        QUARANTINE.check(row, `quarantined_rows row ${i}`, problems);
      }
    }
    refuse('quarantine record', problems);
    if (rows.length === 0) return;
    await this.db.transaction('write', (x) => insertRows(x, QUARANTINE, rows));
  }

  /** Newest first (`at` descending); `since` bounds `at` (inclusive); `limit` defaults to 1,000. */
  async quarantined(filter: { app_id?: string; since?: number; limit?: number }): Promise<QuarantineRow[]> {
    const { sql, params } = this.logQuery('quarantine query', filter, SQL.quarantined);
    return this.read(QUARANTINE, sql, params);
  }

  /** The SQL and parameters of a newest-first log read (restatements, quarantine) by app, since and limit. */
  private logQuery(what: string, filter: { app_id?: string; since?: number; limit?: number }, sql: (byApp: boolean, bySince: boolean) => string): { sql: string; params: unknown[] } {
    const { app_id: app, since, limit = DEFAULT_LIMIT } = filter ?? {};
    const problems: string[] = [];
    if (app !== undefined && typeof app !== 'string') problems.push(`app_id: expected a string, got ${JSON.stringify(app)}`);
    if (since !== undefined) int(problems, 'since', since);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) problems.push(`limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`);
    refuse(what, problems);
    const params: unknown[] = [];
    if (app !== undefined) params.push(app);
    if (since !== undefined) params.push(since);
    // MySQL 8 refuses a LIMIT bound as a double (how mysql2 sends numbers); a string it takes.
    params.push(this.db.kind === 'mysql' ? String(limit) : limit);
    return { sql: sql(app !== undefined, since !== undefined), params };
  }
}
