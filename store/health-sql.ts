/**
 * Data health reads for both backends: per app and UTC day, the rows quarantined and the hours
 * restated by late data (for the health score), and pages of the health lists (restatements,
 * quarantined rows, job runs) with their total, newest first.
 */
import { invalid } from './errors.js';
import { checkIds, marks, num } from './sql-params.js';
import type { JobRun, QuarantineRow, RestatementRow } from './facts.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';

interface AppDayHealthCounts {
  app_id: string;
  day: string;
  quarantined_rows: number;
  restated_hours: number;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface PageQuery {
  /** When set, only these apps (an empty list answers nothing). Admins may leave it out. */
  appIds?: readonly string[];
  since?: number;
  limit: number;
  offset: number;
}

export interface HealthQueries {
  /** Quarantined rows (by their day) and restated hours, per app and UTC day in [fromDay, toDay]. */
  appDayHealth(appIds: readonly string[], fromDay: string, toDay: string): Promise<AppDayHealthCounts[]>;
  restatementsPage(q: PageQuery): Promise<Page<RestatementRow>>;
  quarantinedPage(q: PageQuery): Promise<Page<QuarantineRow>>;
  jobRunsPage(q: { limit: number; offset: number }): Promise<Page<JobRun>>;
}

export const MAX_PAGE = 1000;
const DAY_MS = 86_400_000;

const checkAppIds = (list: readonly string[]): void => void checkIds('health query', 'appIds', list);
function checkPage(q: { limit: number; offset: number; since?: number }): void {
  const p: string[] = [];
  if (!Number.isSafeInteger(q.limit) || q.limit < 1 || q.limit > MAX_PAGE) p.push(`limit: expected 1 to ${MAX_PAGE}`);
  if (!Number.isSafeInteger(q.offset) || q.offset < 0) p.push('offset: expected an integer >= 0');
  if (q.since !== undefined && !Number.isSafeInteger(q.since)) p.push('since: expected epoch ms');
  if (p.length) throw invalid('health query', p);
}

/** WHERE of a log read by apps and since, and its parameters. */
function where(q: PageQuery, col: string): { sql: string; params: unknown[] } {
  const w: string[] = [];
  const params: unknown[] = [];
  if (q.appIds) checkAppIds(q.appIds), w.push(`app_id IN (${marks(q.appIds.length)})`), params.push(...q.appIds);
  if (q.since !== undefined) w.push(`${col} >= ?`), params.push(q.since);
  return { sql: w.length ? `WHERE ${w.join(' AND ')}` : '', params };
}

/** The `n` of a `SELECT COUNT(*) AS n` answer (always one row). */
function countOf(rows: readonly Row[]): number {
  const [row] = rows;
  if (row === undefined) throw new Error('SELECT COUNT(*) answered no row');
  return num(row, 'n');
}

export class HealthSql implements HealthQueries {
  constructor(private readonly db: SqlAccess) {}

  async appDayHealth(appIds: readonly string[], fromDay: string, toDay: string): Promise<AppDayHealthCounts[]> {
    checkAppIds(appIds);
    if (appIds.length === 0) return [];
    const fromHour = Date.parse(`${fromDay}T00:00:00Z`);
    const endHour = Date.parse(`${toDay}T00:00:00Z`) + DAY_MS;
    if (Number.isNaN(fromHour) || Number.isNaN(endHour)) throw invalid('health query', ['fromDay/toDay: expected YYYY-MM-DD']);
    const [q, r] = await this.db.query(async (x) => [
      await x.all(`SELECT app_id, day, SUM(row_count) AS n FROM quarantined_rows WHERE app_id IN (${marks(appIds.length)}) AND day >= ? AND day <= ? GROUP BY app_id, day`, [...appIds, fromDay, toDay]),
      await x.all(`SELECT DISTINCT app_id, hour FROM restatements WHERE app_id IN (${marks(appIds.length)}) AND hour >= ? AND hour < ?`, [...appIds, fromHour, endHour]),
    ] as const);
    const by = new Map<string, AppDayHealthCounts>();
    const at = (app_id: string, day: string) => {
      const k = `${app_id}|${day}`;
      let c = by.get(k);
      if (!c) by.set(k, (c = { app_id, day, quarantined_rows: 0, restated_hours: 0 }));
      return c;
    };
    for (const x of q) at(String(x.app_id), String(x.day)).quarantined_rows += num(x, 'n');
    for (const x of r) at(String(x.app_id), new Date(num(x, 'hour')).toISOString().slice(0, 10)).restated_hours += 1;
    return [...by.values()];
  }

  /** LIMIT and OFFSET: MySQL 8 refuses them bound as doubles (how mysql2 sends numbers), strings it takes. */
  private bounds(q: { limit: number; offset: number }): unknown[] {
    return this.db.kind === 'mysql' ? [String(q.limit), String(q.offset)] : [q.limit, q.offset];
  }

  private async page(q: PageQuery, table: string, select: string, order: string): Promise<Page<Row>> {
    checkPage(q);
    if (q.appIds && q.appIds.length === 0) return { rows: [], total: 0 };
    const w = where(q, 'at');
    const [rows, count] = await this.db.query(async (x) => [
      await x.all(`SELECT ${select} FROM ${table} ${w.sql} ORDER BY ${order} LIMIT ? OFFSET ?`, [...w.params, ...this.bounds(q)]),
      await x.all(`SELECT COUNT(*) AS n FROM ${table} ${w.sql}`, w.params),
    ] as const);
    return { rows, total: countOf(count) };
  }

  async restatementsPage(q: PageQuery): Promise<Page<RestatementRow>> {
    const p = await this.page(q, 'restatements', 'run_id, app_id, hour, metric, old_value, new_value, at', 'at DESC, run_id, app_id, hour, metric');
    return { total: p.total, rows: p.rows.map((r) => ({ run_id: String(r.run_id), app_id: String(r.app_id), hour: num(r, 'hour'), metric: String(r.metric), old_value: num(r, 'old_value'), new_value: num(r, 'new_value'), at: num(r, 'at') })) };
  }

  async quarantinedPage(q: PageQuery): Promise<Page<QuarantineRow>> {
    const p = await this.page(q, 'quarantined_rows', 'lake_key, source, app_id, day, reason, row_count, detail, at', 'at DESC, lake_key, app_id, day, reason');
    return { total: p.total, rows: p.rows.map((r) => ({ lake_key: String(r.lake_key), source: String(r.source), app_id: String(r.app_id), day: String(r.day), reason: String(r.reason), row_count: num(r, 'row_count'), detail: String(r.detail), at: num(r, 'at') })) };
  }

  async jobRunsPage(q: { limit: number; offset: number }): Promise<Page<JobRun>> {
    checkPage(q);
    const [rows, count] = await this.db.query(async (x) => [
      await x.all('SELECT id, workflow, partition_key, status, started_at, finished_at, row_count, error FROM job_runs ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?', this.bounds(q)),
      await x.all('SELECT COUNT(*) AS n FROM job_runs', []),
    ] as const);
    return {
      total: countOf(count),
      rows: rows.map((r) => ({ id: String(r.id), workflow: String(r.workflow), partition_key: String(r.partition_key), status: String(r.status) as JobRun['status'], started_at: num(r, 'started_at'), finished_at: r.finished_at === null ? null : num(r, 'finished_at'), row_count: r.row_count === null ? null : num(r, 'row_count'), error: r.error === null ? null : String(r.error) })),
    };
  }
}
