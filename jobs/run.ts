/**
 * The jobs tier: the workflows over a lake and a store, run once (`sluice jobs run`) or on a
 * cron schedule (`sluice jobs`), with a worker pool, a metrics endpoint and run history.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import { startMetricsServer } from '../common/metrics-server.js';
import { Piscina } from 'piscina';
import type { Logger } from '../common/logger.js';
import type { Lake } from '../lake/lake.js';
import type { LakeOptions } from '../lake/options.js';
import type { ReportStore } from '../store/store.js';
import { attributionStep, deliveryStep, dedupe, discover, emptyStats, load, markRange, type BatchStats, type JobsContext, type Progress } from './batch.js';
import { JobError } from './errors.js';
import type { JobsOptions } from './options.js';
import { runWorkflow, type RunResult, type Workflow } from './workflow.js';

export const WORKFLOWS: Record<string, Workflow<JobsContext>> = {
  events: {
    name: 'events',
    description: 'new Parquet files in the lake -> dedupe -> sessions and aggregates -> report store -> attribution -> delivery for pacing',
    steps: [
      { name: 'discover', after: [], run: discover },
      { name: 'dedupe', after: ['discover'], run: dedupe },
      { name: 'load', after: ['dedupe'], run: load },
      { name: 'attribution', after: ['load'], run: attributionStep },
      { name: 'delivery', after: ['load'], run: deliveryStep },
    ],
  },
  restate: {
    name: 'restate',
    description: 'recompute and reload the days --from..--to of every app from the dedupe state (no new input)',
    steps: [
      { name: 'mark', after: [], run: markRange },
      { name: 'load', after: ['mark'], run: load },
      { name: 'attribution', after: ['load'], run: attributionStep },
      { name: 'delivery', after: ['load'], run: deliveryStep },
    ],
  },
};

interface JobsTier {
  url: string;
  /** Runs a workflow once (a backfill when range is given). */
  run(workflow: string, range?: { from: string; to: string } | null, onProgress?: (p: Progress) => void): Promise<RunResult & { stats: BatchStats }>;
  close(): Promise<void>;
}

interface JobsTierOptions extends JobsOptions {
  /** Start the cron schedule (the service) or only serve run() calls. */
  scheduled: boolean;
}

export async function startJobs(o: JobsTierOptions, lakeOptions: Partial<LakeOptions>, lake: Lake, store: ReportStore, log: Logger): Promise<JobsTier> {
  const pool = o.threads > 0 ? new Piscina({ filename: new URL('./worker.js', import.meta.url).href, minThreads: o.threads, maxThreads: o.threads, idleTimeout: 60_000 }) : null;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const totals = { runs: 0, failed: 0, skipped: 0, events: 0, duplicates: 0, appDays: 0, restatements: 0, lastSuccess: 0, lastMs: 0 };
  const stepSeconds = new Map<string, number>();
  /** Fact rows quarantined since start, by "reason|table". */
  const quarantined = new Map<string, number>();

  // Runs of this tier go one at a time: the store locks are per owner, and this process is one owner.
  let queue: Promise<unknown> = Promise.resolve();
  const run: JobsTier['run'] = (name, range = null, onProgress = () => {}) => {
    const next = queue.then(() => runNow(name, range, onProgress));
    queue = next.catch(() => undefined);
    return next;
  };
  const runNow: JobsTier['run'] = async (name, range = null, onProgress = () => {}) => {
    const wf = WORKFLOWS[name];
    if (!wf) throw new JobError('JOB_ERR_UNKNOWN_WORKFLOW', `unknown workflow '${name}' (known: ${Object.keys(WORKFLOWS).join(', ')})`);
    if (name === 'restate' && !range) throw new JobError('JOB_ERR_BAD_RANGE', 'restate needs --from and --to');
    const ctx: JobsContext = { opts: o, lake, lakeOptions, store, log, pool, runId: '', range, now: Date.now, onProgress, stats: emptyStats(), restated: [], quarantined: new Map() };
    // Every workflow writes the one dedupe state: the state lock keeps runs of different partitions apart too.
    const partition = range ? `${name}:${range.from}..${range.to}` : name;
    const r = await runWorkflow(wf, ctx, {
      store, log, owner, partition, alsoLock: [`state:${o.stateDir}`], retries: o.retries, backoffMs: o.retryBackoffMs, lockTtlMs: o.lockTtlMs,
      onStart: (id) => (ctx.runId = id),
      onStep: (step) => log.debug({ workflow: name, step }, 'step'),
    });
    totals.runs++;
    if (r.status === 'failed') totals.failed++;
    if (r.status === 'skipped') totals.skipped++;
    if (r.status === 'succeeded') (totals.lastSuccess = Date.now()), (totals.lastMs = r.ms);
    for (const s of r.steps) stepSeconds.set(`${name}.${s.name}`, (stepSeconds.get(`${name}.${s.name}`) ?? 0) + s.ms / 1000);
    totals.events += ctx.stats.rows;
    totals.duplicates += ctx.stats.duplicates;
    totals.appDays += ctx.stats.appDays;
    totals.restatements += ctx.stats.restatements;
    for (const [k, n] of ctx.quarantined) quarantined.set(k, (quarantined.get(k) ?? 0) + n);
    const level = r.status === 'failed' ? 'error' : 'info';
    log[level]({ workflow: name, status: r.status, ms: r.ms, ...ctx.stats, error: r.error }, `workflow ${name} ${r.status}`);
    // One summary line per run (a backfill restates thousands of hours; the rows are in the store's restatements table).
    if (ctx.restated.length > 0) {
      const byMetric: Record<string, number> = {};
      for (const x of ctx.restated) byMetric[x.metric] = (byMetric[x.metric] ?? 0) + 1;
      log.info({ workflow: name, restatements: ctx.restated.length, apps: new Set(ctx.restated.map((x) => x.app_id)).size, by_metric: byMetric }, 'restated hours');
    }
    return { ...r, stats: ctx.stats };
  };

  const metrics = (): string => {
    const L = [
      '# TYPE sluice_jobs_runs_total counter', `sluice_jobs_runs_total ${totals.runs}`,
      '# TYPE sluice_jobs_failed_runs_total counter', `sluice_jobs_failed_runs_total ${totals.failed}`,
      '# TYPE sluice_jobs_skipped_runs_total counter', `sluice_jobs_skipped_runs_total ${totals.skipped}`,
      '# TYPE sluice_jobs_events_total counter', `sluice_jobs_events_total ${totals.events}`,
      '# TYPE sluice_jobs_duplicates_total counter', `sluice_jobs_duplicates_total ${totals.duplicates}`,
      '# TYPE sluice_jobs_app_days_loaded_total counter', `sluice_jobs_app_days_loaded_total ${totals.appDays}`,
      '# TYPE sluice_jobs_restatements_total counter', `sluice_jobs_restatements_total ${totals.restatements}`,
      '# HELP sluice_jobs_last_success_timestamp_seconds end of the last successful run', `sluice_jobs_last_success_timestamp_seconds ${totals.lastSuccess / 1000}`,
      `sluice_jobs_last_run_seconds ${totals.lastMs / 1000}`,
      '# TYPE sluice_jobs_step_seconds_total counter',
    ];
    for (const [k, v] of stepSeconds) L.push(`sluice_jobs_step_seconds_total{step="${k}"} ${v}`);
    L.push('# HELP sluice_jobs_quarantined_rows_total fact rows the store cannot hold, set aside in the lake quarantine instead of loaded', '# TYPE sluice_jobs_quarantined_rows_total counter');
    for (const [k, v] of quarantined) {
      const [reason, table] = k.split('|') as [string, string];
      L.push(`sluice_jobs_quarantined_rows_total{reason="${reason}",table="${table}"} ${v}`);
    }
    return L.join('\n') + '\n';
  };
  const server = await startMetricsServer(o.host, o.port, metrics, () => totals);
  const url = server.url;

  // protect: a tick while the previous run still works is skipped, not queued.
  const cron = o.scheduled
    ? new Cron(o.schedule, { protect: true }, async () => {
        await run('events').catch((err: unknown) => log.error({ err: (err as Error).message }, 'scheduled run failed'));
      })
    : null;
  return {
    url,
    run,
    async close() {
      cron?.stop();
      await server.close();
      await pool?.destroy();
    },
  };
}
