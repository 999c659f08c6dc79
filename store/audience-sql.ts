/**
 * The audience part of the report store (store/audience.ts) for both backends: whole-app
 * replaces of the audience rows, day-range replaces of the app-version rows, and their reads.
 */
import { parseUtcDay } from '../common/time.js';
import type { AppVersionDailyRow, AudienceDayRow, AudienceStore } from './audience.js';
import { invalid } from './errors.js';
import { factTable, insertRows, type FactTable } from './fact-tables.js';
import type { SqlAccess } from './sql-store.js';

const AUDIENCE_DAILY = factTable<AudienceDayRow>('agg_audience_daily', [
  ['app_id', 64], ['day', 10], ['devices', 'i'], ['new_devices', 'i'], ['d1', 'i'], ['d7', 'i'], ['d30', 'i'],
]);
export const APP_VERSION_DAILY = factTable<AppVersionDailyRow>('agg_app_version_daily', [
  ['app_id', 64], ['day', 10], ['app_version', 32], ['devices', 'i'],
]);

const DAYS = 'app_id = ? AND day >= ? AND day <= ?';
const SQL = {
  deleteAudience: 'DELETE FROM agg_audience_daily WHERE app_id = ?',
  deleteVersions: `DELETE FROM agg_app_version_daily WHERE ${DAYS}`,
  audience: `${AUDIENCE_DAILY.select} WHERE ${DAYS} ORDER BY day`,
  lastDay: 'SELECT MAX(day) AS day FROM agg_audience_daily WHERE app_id = ? AND devices > 0',
  versions: `${APP_VERSION_DAILY.select} WHERE ${DAYS} ORDER BY day, app_version`,
} as const;
const MAX_PROBLEMS = 20;

function checkArgs(what: string, appId: unknown, days: unknown[]): void {
  const problems: string[] = [];
  if (typeof appId !== 'string' || appId === '' || [...appId].length > 64) problems.push(`app_id: expected a non-empty string of at most 64 characters, got ${JSON.stringify(appId)}`);
  for (const d of days) if (typeof d !== 'string' || Number.isNaN(parseUtcDay(d))) problems.push(`day: expected a UTC day YYYY-MM-DD, got ${JSON.stringify(d)}`);
  if (problems.length > 0) throw invalid(what, problems);
}

function checkRows<T extends { app_id: string; day: string }>(what: string, table: FactTable<T>, rows: readonly T[], appId: string, dayOk: (d: string) => boolean): void {
  const problems: string[] = [];
  if (!Array.isArray(rows)) throw invalid(what, [`rows: expected an array, got ${typeof rows}`]);
  for (const [i, row] of rows.entries()) {
    if (problems.length >= MAX_PROBLEMS) break;
    const where = `${table.name} row ${i}`;
    if (table.check(row, where, problems) !== null) continue;
    if (row.app_id !== appId) problems.push(`${where}: app_id: expected ${JSON.stringify(appId)}, got ${JSON.stringify(row.app_id)}`);
    else if (Number.isNaN(parseUtcDay(row.day)) || !dayOk(row.day)) problems.push(`${where}: day: ${JSON.stringify(row.day)} is outside the days being replaced`);
  }
  if (problems.length > 0) throw invalid(what, problems);
}

export class AudienceSql implements AudienceStore {
  constructor(private readonly db: SqlAccess) {}

  async replaceAudience(appId: string, rows: readonly AudienceDayRow[]): Promise<void> {
    checkArgs('audience', appId, []);
    checkRows('audience', AUDIENCE_DAILY, rows, appId, () => true);
    await this.db.transaction('write', async (x) => {
      await x.run(SQL.deleteAudience, [appId]);
      await insertRows(x, AUDIENCE_DAILY, rows);
    });
  }

  async replaceAppVersions(appId: string, fromDay: string, toDay: string, rows: readonly AppVersionDailyRow[]): Promise<void> {
    checkArgs('app versions', appId, [fromDay, toDay]);
    checkRows('app versions', APP_VERSION_DAILY, rows, appId, (d) => d >= fromDay && d <= toDay);
    await this.db.transaction('write', async (x) => {
      await x.run(SQL.deleteVersions, [appId, fromDay, toDay]);
      await insertRows(x, APP_VERSION_DAILY, rows);
    });
  }

  async audienceDays(appId: string, fromDay: string, toDay: string): Promise<AudienceDayRow[]> {
    checkArgs('audience query', appId, [fromDay, toDay]);
    const rows = await this.db.query((x) => x.all(SQL.audience, [appId, fromDay, toDay]));
    return rows.map((r) => AUDIENCE_DAILY.fromRow(r));
  }

  async audienceLastDay(appId: string): Promise<string | null> {
    checkArgs('audience query', appId, []);
    const rows = await this.db.query((x) => x.all(SQL.lastDay, [appId]));
    const d = rows[0]?.day;
    return d === null || d === undefined ? null : String(d);
  }

  async appVersions(appId: string, fromDay: string, toDay: string): Promise<AppVersionDailyRow[]> {
    checkArgs('app versions query', appId, [fromDay, toDay]);
    const rows = await this.db.query((x) => x.all(SQL.versions, [appId, fromDay, toDay]));
    return rows.map((r) => APP_VERSION_DAILY.fromRow(r));
  }
}
