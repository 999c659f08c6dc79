/**
 * The jobs' quarantine: fact rows the report store cannot hold (a lone surrogate in a custom
 * prop value, text longer than its column...) are set aside instead of failing the load, so one
 * accepted event never stops the batch jobs of every app. They go to the lake as
 * `quarantine/facts/app_id=A/dt=D/RUN.json` (app, day, run, and each row with its table, reason
 * and problem), are counted by reason and table on /metrics, and are recorded in the store's
 * `quarantined_rows`, which data health lists. The rest of the app-day loads as usual. An
 * app's attribution the store refuses goes to `quarantine/attribution/...` the same way.
 */
import type { Logger } from '../common/logger.js';
import type { Lake } from '../lake/lake.js';
import { StoreError, StoreErrorCode } from '../store/errors.js';
import type { RefusedFactRow } from '../store/fact-check.js';
import type { FactStore, QuarantineRow } from '../store/facts.js';

export interface QuarantineContext {
  lake: Lake;
  store: FactStore;
  log: Logger;
  runId: string;
  now: () => number;
  /** Rows quarantined by "reason|table", for /metrics. */
  counts: Map<string, number>;
}

/** The lake key of one app-day's quarantined rows of one run (app ids are URL-encoded: they come from devices). */
function factQuarantineKey(app: string, day: string, runId: string, what: 'facts' | 'attribution' | 'funnel-reach' = 'facts'): string {
  return `quarantine/${what}/app_id=${encodeURIComponent(app)}/dt=${day}/${runId}.json`;
}

/** Whether the store refused the data (not a store outage, which the step's retries are for). */
export function isDataError(err: unknown): err is StoreError {
  return err instanceof StoreError && (err.code === StoreErrorCode.INVALID || err.code === StoreErrorCode.CONFLICT);
}

/** Text the store takes: at most `max` characters and no lone surrogate (a cut may split a pair). */
function storable(s: string, max: number): string {
  return s.slice(0, max).toWellFormed();
}

/** The app id as the store's app_id column takes it, or '' (an app id from an old lake file may be longer). */
function storableApp(app: string): string {
  return app.isWellFormed() && [...app].length <= 64 ? app : '';
}

/** Writes the refused rows of one app-day to the lake, counts them and records them for data health; answers how many. */
export async function quarantineFacts(q: QuarantineContext, app: string, day: string, refused: readonly RefusedFactRow[], what: 'facts' | 'attribution' | 'funnel-reach' = 'facts'): Promise<number> {
  if (refused.length === 0) return 0;
  const key = factQuarantineKey(app, day, q.runId, what);
  const at = q.now();
  // JSON.stringify writes a lone surrogate as \udXXX: the file is valid UTF-8 and keeps the exact value.
  await q.lake.put(key, Buffer.from(JSON.stringify({ source: 'jobs', app_id: app, day, run_id: q.runId, at, rows: refused })));
  const byReason = new Map<string, QuarantineRow>();
  for (const r of refused) {
    const k = `${r.reason}|${r.table}`;
    q.counts.set(k, (q.counts.get(k) ?? 0) + 1);
    const e = byReason.get(r.reason);
    if (e) e.row_count++;
    else byReason.set(r.reason, { lake_key: key, source: 'jobs', app_id: storableApp(app), day, reason: r.reason, row_count: 1, detail: storable(r.problem, 1000), at });
  }
  await q.store.recordQuarantine([...byReason.values()]);
  q.log.warn({ app, day, rows: refused.length, reasons: [...byReason.keys()], key }, 'fact rows the store cannot hold quarantined; the rest of the app-day loads');
  return refused.length;
}
