/**
 * The steps of the events workflow over one jobs context: discover new Parquet files in the
 * lake, dedupe them, (re)load the app-days they changed into the report store, recompute
 * attribution and the delivery the ad server paces on. Each step commits what it did to
 * the state manifest before the next starts, so a step can be retried and a killed run
 * resumed: loads replace whole app-days, so doing one twice gives the same tables.
 */
import { Handoff, type StepIO } from './workflow.js';
import type { Piscina } from 'piscina';
import type { Logger } from '../common/logger.js';
import { DAY_MS, HOUR_MS, parseUtcDay, utcDay } from '../common/time.js';
import type { Lake } from '../lake/lake.js';
import type { LakeOptions } from '../lake/options.js';
import type { RestatementRow } from '../store/facts.js';
import type { ReportStore } from '../store/store.js';
import { aggregateApp, type AggregateAppResult, type AggregateAppTask } from './aggregate-app.js';
import { attribute } from './attribution.js';
import { dedupeApp, type DedupeAppResult, type DedupeAppTask } from './dedupe-app.js';
import { readRange } from './device-sessions.js';
import type { JobsOptions } from './options.js';
import { collectGarbage, commitManifest, emptyApp, KEY_FORMAT, loadManifest, readCounters, readDrops, type Manifest } from './state.js';
import { isDataError, quarantineFacts, type QuarantineContext } from './quarantine.js';
import type { PackedAggregateResult, WorkerTask } from './worker.js';
import { unpackFacts } from './packed-facts.js';
import { loadAudience, loadVersions } from './audience-load.js';

type BatchOptions = Pick<JobsOptions, 'stateDir' | 'dedupePartitions' | 'maxRuns' | 'retentionDays' | 'windowDays' | 'sessionTimeoutMs' | 'conversionEvent'>;

export interface Progress {
  phase: string;
  done: number;
  total: number;
  events: number;
}

export interface BatchStats {
  files: number;
  rows: number;
  duplicates: number;
  appDays: number;
  factRows: number;
  restatements: number;
  /** Time spent writing facts to the store (and committing the manifest after each window), ms. */
  storeMs: number;
  /** Fact rows set aside in the lake's quarantine instead of loaded. */
  quarantined: number;
}

/**
 * What every step of a jobs run reads (options, lake, store, pool) and what the run reports to
 * its caller when it ends (runId, stats, restated, quarantined). What one step hands to a later
 * one is not here: it goes through the workflow's StepIO (discover -> dedupe: NEW_FILES).
 */
export interface JobsContext {
  opts: BatchOptions;
  lake: Lake;
  lakeOptions: Partial<LakeOptions>;
  store: ReportStore;
  log: Logger;
  pool: Piscina | null;
  runId: string;
  /** Only files of these UTC days (a backfill), or all. */
  range: { from: string; to: string } | null;
  now: () => number;
  onProgress: (p: Progress) => void;
  stats: BatchStats;
  restated: RestatementRow[];
  /** Fact rows quarantined, by "reason|table" (the tier's /metrics add them up). */
  quarantined: Map<string, number>;
}

const EVENT_FILE = /^events\/app_id=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/;

export function emptyStats(): BatchStats {
  return { files: 0, rows: 0, duplicates: 0, appDays: 0, factRows: 0, restatements: 0, storeMs: 0, quarantined: 0 };
}

async function onPool<R>(ctx: JobsContext, t: WorkerTask): Promise<R> {
  if (ctx.pool) {
    const r = (await ctx.pool.run(t)) as R | PackedAggregateResult;
    if (t.kind === 'aggregate') {
      const { packed, ...rest } = r as PackedAggregateResult;
      return { ...rest, facts: unpackFacts(packed) } as R;
    }
    return r as R;
  }
  return (t.kind === 'dedupe' ? await dedupeApp(t.task, ctx.lake) : await aggregateApp(t.task, ctx.lake)) as R;
}

/** Runs fn over items, at most `limit` at once, results in item order. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return out;
}

const lanes = (ctx: JobsContext) => (ctx.pool ? ctx.pool.options.maxThreads : 1);

/** discover's output, dedupe's input: the new event files of each app, sorted. */
const NEW_FILES = new Handoff<ReadonlyMap<string, readonly string[]>>('the new event files per app');

/** Step 1: the lake's event files that no run has processed yet (within the range). */
export async function discover(ctx: JobsContext, io: StepIO): Promise<number> {
  const m = await loadManifest(ctx.opts.stateDir, ctx.opts.dedupePartitions);
  const newFiles = new Map<string, string[]>();
  let count = 0;
  for (const o of await ctx.lake.list('events/')) {
    const match = EVENT_FILE.exec(o.key);
    if (!match) continue;
    const [, app, dt] = match;
    if (app === undefined || dt === undefined) continue;
    if (ctx.range && (dt < ctx.range.from || dt > ctx.range.to)) continue;
    if (m.apps[app]?.files[o.key]) continue;
    let list = newFiles.get(app);
    if (!list) newFiles.set(app, (list = []));
    list.push(o.key);
    count++;
  }
  for (const list of newFiles.values()) list.sort();
  io.put(NEW_FILES, newFiles);
  ctx.stats.files = count;
  return count;
}

function addPending(m: Manifest, app: string, days: Iterable<string>): void {
  const set = new Set(m.pending[app] ?? []);
  for (const d of days) set.add(d);
  m.pending[app] = [...set].sort();
}

/** Step 2: dedupe the new files app by app (in parallel), then commit the state once. */
export async function dedupe(ctx: JobsContext, io: StepIO): Promise<number> {
  const newFiles = io.take(NEW_FILES);
  const m = await loadManifest(ctx.opts.stateDir, ctx.opts.dedupePartitions);
  if ((m.key_format ?? 1) < KEY_FORMAT) {
    ctx.log.warn({ stateDir: ctx.opts.stateDir, keyFormat: m.key_format ?? 1 }, 'this dedupe state was made before keys escaped a backslash, NUL or lone surrogate inside an id; '
      + 'ids without them keep their keys, but a replay of an event whose id holds one, loaded before, counts again. To be exact, rebuild the state (README, Batch jobs)');
    m.key_format = KEY_FORMAT;
  }
  const generation = m.generation + 1;
  const minDay = Math.floor(ctx.now() / DAY_MS) - ctx.opts.retentionDays;
  const apps = [...newFiles.keys()].sort();
  let done = 0;
  const results = await inParallel(apps, lanes(ctx), async (app) => {
    const task: DedupeAppTask = { stateDir: ctx.opts.stateDir, app, state: m.apps[app] ?? emptyApp(ctx.opts.dedupePartitions), files: [...(newFiles.get(app) ?? [])], generation, minDay, maxRuns: ctx.opts.maxRuns, sessionTimeoutMs: ctx.opts.sessionTimeoutMs, retentionDays: ctx.opts.retentionDays };
    const r = await onPool<DedupeAppResult>(ctx, { kind: 'dedupe', lake: ctx.lakeOptions, task });
    ctx.stats.rows += r.rows;
    ctx.stats.duplicates += r.duplicates;
    ctx.onProgress({ phase: 'dedupe', done: ++done, total: apps.length, events: ctx.stats.rows });
    return r;
  });
  for (const r of results) {
    m.apps[r.app] = r.state;
    // The days include those whose sessions the new events change, however far (device-sessions.ts).
    addPending(m, r.app, r.days);
    if (r.rebuiltSessions) ctx.log.info({ app: r.app }, 'walked every device\'s sessions again from the lake (a state from before sessions across midnights were kept, or another --session-timeout-ms); days loaded before may want a restate');
  }
  m.generation = generation;
  await commitManifest(ctx.opts.stateDir, m);
  await collectGarbage(ctx.opts.stateDir, m);
  return ctx.stats.rows;
}

/** Contiguous runs of days, each at most `max` long. */
function windows(days: readonly string[], max: number): string[][] {
  const out: string[][] = [];
  for (const d of days) {
    const last = out[out.length - 1];
    if (last && last.length < max && parseUtcDay(d) - parseUtcDay(last[last.length - 1]!) === DAY_MS) last.push(d);
    else out.push([d]);
  }
  return out;
}

/** Step 3: (re)computes the pending app-days and replaces them in the store, window by window. */
export async function load(ctx: JobsContext): Promise<number> {
  const m = await loadManifest(ctx.opts.stateDir, ctx.opts.dedupePartitions);
  await loadAudience(ctx.store, m, ctx.log);
  // Aggregation runs on the pool; loads go to the store one window at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  return aggregatePending(ctx, m, (r) => (chain = chain.then(() => storeWindow(ctx, m, r))));
}

/**
 * The sessions and aggregates of the manifest's pending app-days, window by window on the
 * pool; each result goes to `consume` (the load stores it; bench:jobs also times this alone).
 */
export async function aggregatePending(ctx: JobsContext, m: Manifest, consume: (r: AggregateAppResult) => Promise<void>): Promise<number> {
  const work: { app: string; days: string[] }[] = [];
  for (const app of Object.keys(m.pending).sort()) {
    if (!m.apps[app]) continue;
    for (const w of windows(m.pending[app]!, ctx.opts.windowDays)) work.push({ app, days: w });
  }
  const total = work.reduce((s, w) => s + w.days.length, 0);
  let done = 0;
  let events = 0;
  await inParallel(work, lanes(ctx), async ({ app, days }) => {
    const state = m.apps[app]!;
    // From the start of every session with events in these days to the end of every session starting in them (crossings made with another timeout do not say).
    const crossings = state.sessions?.timeoutMs === ctx.opts.sessionTimeoutMs ? state.sessions.crossings : undefined;
    const range = readRange(crossings, parseUtcDay(days[0]!) / DAY_MS, parseUtcDay(days[days.length - 1]!) / DAY_MS, ctx.opts.sessionTimeoutMs);
    const lo = utcDay(range[0] * DAY_MS);
    const hi = utcDay(range[1] * DAY_MS);
    const files = await Promise.all(
      Object.entries(state.files)
        .filter(([key]) => {
          const dt = EVENT_FILE.exec(key)?.[2] ?? '';
          return dt >= lo && dt <= hi;
        })
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(async ([key, f]) => ({ key, drops: await readDrops(ctx.opts.stateDir, app, f.drops) })),
    );
    // The app's funnels as defined now: one defined later fills on the next load of these days (a restate back-fills).
    const funnels = (await ctx.store.listFunnels(app)).map((f) => ({ id: f.id, steps: f.steps }));
    const task: AggregateAppTask = { app, days, files, counters: await readCounters(ctx.opts.stateDir, app, state.counters), sessionTimeoutMs: ctx.opts.sessionTimeoutMs, conversionEvent: ctx.opts.conversionEvent, funnels };
    const r = await onPool<AggregateAppResult>(ctx, { kind: 'aggregate', lake: ctx.lakeOptions, task });
    await consume(r);
    done += days.length;
    events += r.rowsCounted;
    ctx.onProgress({ phase: 'load', done, total, events });
  });
  return total;
}

async function storeWindow(ctx: JobsContext, m: Manifest, r: AggregateAppResult): Promise<void> {
  const t0 = performance.now();
  const q: QuarantineContext = { lake: ctx.lake, store: ctx.store, log: ctx.log, runId: ctx.runId, now: ctx.now, counts: ctx.quarantined };
  for (const [day, facts] of Object.entries(r.facts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    ctx.stats.quarantined += await quarantineFacts(q, r.app, day, r.refused?.[day] ?? []);
    let restated: RestatementRow[];
    try {
      restated = await ctx.store.replaceAppDay(r.app, day, facts, ctx.runId, ctx.now());
    } catch (err) {
      // A data error the row rules did not foresee (a key the database takes as equal, say) costs this app-day, not the run.
      if (!isDataError(err)) throw err;
      const rows = TABLES.flatMap(([k, table]) => facts[k].map((row, index) => ({ table, index, reason: 'store_refused' as const, problem: err.message, row })));
      ctx.stats.quarantined += await quarantineFacts(q, r.app, day, rows);
      ctx.log.error({ app: r.app, day, code: err.code, err: err.message }, 'the store refused an app-day; its rows are quarantined and the old ones stay');
      continue;
    }
    await storeFunnelReach(ctx, q, r, day);
    ctx.restated.push(...restated);
    ctx.stats.restatements += restated.length;
    ctx.stats.factRows += facts.hourly.length + facts.daily.length + facts.campaign.length + facts.custom.length + facts.touches.length;
    ctx.stats.appDays++;
  }
  await loadVersions(ctx.store, r, ctx.log);
  const days = new Set(Object.keys(r.facts));
  m.pending[r.app] = (m.pending[r.app] ?? []).filter((d) => !days.has(d));
  if (m.pending[r.app]!.length === 0) delete m.pending[r.app];
  m.derived[r.app] = [...new Set([...(m.derived[r.app] ?? []), ...days])].sort();
  await commitManifest(ctx.opts.stateDir, m);
  ctx.stats.storeMs += performance.now() - t0;
}

/** The app-day's funnel and reach rows (jobs/funnels.ts, jobs/campaign-reach.ts); a refused load is quarantined like facts. */
async function storeFunnelReach(ctx: JobsContext, q: QuarantineContext, r: AggregateAppResult, day: string): Promise<void> {
  const fr = r.funnelReach?.[day] ?? { funnels: [], reach: [] };
  try {
    await ctx.store.replaceFunnelReachDay(r.app, day, fr.funnels, fr.reach);
  } catch (err) {
    if (!isDataError(err)) throw err;
    const rows = [...fr.funnels.map((row, index) => ({ table: 'agg_funnel_daily', index, reason: 'store_refused' as const, problem: err.message, row })), ...fr.reach.map((row, index) => ({ table: 'agg_campaign_reach_daily', index, reason: 'store_refused' as const, problem: err.message, row }))];
    ctx.stats.quarantined += await quarantineFacts(q, r.app, day, rows, 'funnel-reach');
    ctx.log.error({ app: r.app, day, code: err.code, err: err.message }, 'the store refused an app-day\'s funnel and reach rows; they are quarantined');
  }
}

const TABLES = [['hourly', 'agg_app_hourly'], ['daily', 'agg_app_daily'], ['campaign', 'agg_campaign_hourly'], ['custom', 'agg_custom_daily'], ['touches', 'touches']] as const;

/** Step 4: attribution of the loaded apps' conversions, over the days their new clicks and conversions can reach. */
export async function attributionStep(ctx: JobsContext): Promise<number> {
  const m = (await loadManifest(ctx.opts.stateDir, ctx.opts.dedupePartitions));
  let rows = 0;
  for (const [app, days] of Object.entries(m.derived)) {
    if (days.length === 0) continue;
    const settings = await ctx.store.getApp(app);
    const lookbackDays = settings?.attribution_lookback_days ?? 7;
    const model = settings?.attribution_model ?? 'last_touch';
    const from = days[0]!;
    // A click on the last day can credit conversions up to the lookback later.
    const to = utcDay(parseUtcDay(days[days.length - 1]!) + lookbackDays * DAY_MS);
    const touches = await ctx.store.touches(app, utcDay(parseUtcDay(from) - lookbackDays * DAY_MS), to);
    const result = attribute(touches, { lookbackDays, model, fromDay: from, toDay: to });
    try {
      await ctx.store.replaceAttribution(app, from, to, result);
    } catch (err) {
      // One app's refused attribution (ids MySQL takes as equal, say) must not hold back the others' nor the delivery step.
      if (!isDataError(err)) throw err;
      const q: QuarantineContext = { lake: ctx.lake, store: ctx.store, log: ctx.log, runId: ctx.runId, now: ctx.now, counts: ctx.quarantined };
      const refused = result.map((row, index) => ({ table: 'agg_attribution_daily', index, reason: 'store_refused' as const, problem: err.message, row }));
      ctx.stats.quarantined += await quarantineFacts(q, app, from, refused, 'attribution');
      continue;
    }
    rows += result.length;
  }
  return rows;
}

/** Step 5: the delivery table the ad server paces on, for the hours of the loaded days; then the loaded days are done. */
export async function deliveryStep(ctx: JobsContext): Promise<number> {
  const m = (await loadManifest(ctx.opts.stateDir, ctx.opts.dedupePartitions));
  const all = Object.values(m.derived).flat().sort();
  if (all.length > 0) {
    await ctx.store.refreshDelivery(parseUtcDay(all[0]!), parseUtcDay(all[all.length - 1]!) + DAY_MS - HOUR_MS);
  }
  m.derived = {};
  await commitManifest(ctx.opts.stateDir, m);
  return all.length;
}

/** Marks the days of a range pending for every app with state (a restatement from the state, no new input). */
export async function markRange(ctx: JobsContext): Promise<number> {
  if (!ctx.range) return 0;
  const m = await loadManifest(ctx.opts.stateDir, ctx.opts.dedupePartitions);
  const days: string[] = [];
  for (let d = parseUtcDay(ctx.range.from); d <= parseUtcDay(ctx.range.to); d += DAY_MS) days.push(utcDay(d));
  for (const app of Object.keys(m.apps)) addPending(m, app, days);
  await commitManifest(ctx.opts.stateDir, m);
  return days.length * Object.keys(m.apps).length;
}
