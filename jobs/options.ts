import { Type, type Static } from '@sinclair/typebox';
import { Cron } from 'croner';
import { cpus } from 'node:os';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { parseUtcDay } from '../common/time.js';
import { lakeSchema, refineLake } from '../lake/options.js';
import { storeSchema, refineStore } from '../store/options.js';

export const jobsSchema = Type.Object({
  stateDir: Type.String({ default: './data/jobs', description: 'directory of the dedupe state and the record of processed files (keep it: it is what makes dedupe exact across months)' }),
  schedule: Type.String({ default: '0 * * * *', description: "cron schedule of the events workflow when running as a service ('* * * * *' = every minute)" }),
  threads: Type.Integer({ minimum: 0, maximum: 64, default: Math.max(1, cpus().length), description: 'worker threads for dedupe and aggregation (0 = in the main thread)' }),
  dedupePartitions: Type.Integer({ minimum: 1, maximum: 4096, default: 16, description: "dedupe state partitions per app, by device hash (fixed for a state's life)" }),
  maxRuns: Type.Integer({ minimum: 1, maximum: 1000, default: 8, description: 'key runs per dedupe partition before they are compacted into one' }),
  retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 402, description: "dedupe keys of events older than this are forgotten (tracking's retention plus a margin for clock skew)" }),
  windowDays: Type.Integer({ minimum: 1, maximum: 366, default: 7, description: 'app-days aggregated at once (bounds memory)' }),
  sessionTimeoutMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 30_000, description: 'a background longer than this ends the session' }),
  conversionEvent: Type.String({ default: 'purchase', minLength: 1, description: 'custom event name that counts as a conversion for attribution' }),
  retries: Type.Integer({ minimum: 0, maximum: 100, default: 3, description: 'retries of a failed step before the run fails' }),
  retryBackoffMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 1000, description: 'wait before the first retry; doubles each retry' }),
  lockTtlMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 600_000, description: 'a run lock not renewed for this long is taken over (a killed run)' }),
  from: Type.String({ default: '', description: 'jobs run: first UTC day (YYYY-MM-DD) of a backfill' }),
  to: Type.String({ default: '', description: 'jobs run: last UTC day (YYYY-MM-DD) of a backfill' }),
  host: Type.String({ default: '127.0.0.1', description: 'address of the metrics endpoint' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8084, description: 'port of /metrics and /healthz (0 picks a free one)' }),
  progress: Type.Boolean({ default: true, description: 'progress bar on a terminal (jobs run)' }),
  logLevel: logLevelOption,
  ...lakeSchema.properties,
  ...storeSchema.properties,
});

export type JobsOptions = Static<typeof jobsSchema>;

export const jobsSpec: CommandSpec<typeof jobsSchema> = {
  name: 'jobs',
  positionals: 2,
  summary: 'batch jobs: dedupe, sessions, aggregates into the report store, on a schedule; `jobs run <workflow>` runs once or backfills; `jobs history` lists runs',
  schema: jobsSchema,
  refine: (c) => {
    const problems = [...refineLake(c), ...refineStore(c)];
    try {
      new Cron(c.schedule, { paused: true }).stop();
    } catch (err) {
      problems.push(`--schedule: '${c.schedule}' is not a cron expression (${(err as Error).message})`);
    }
    for (const k of ['from', 'to'] as const) if (c[k] !== '' && Number.isNaN(parseUtcDay(c[k]))) problems.push(`--${k}: '${c[k]}' is not a UTC day (YYYY-MM-DD)`);
    if (c.from !== '' && c.to !== '' && c.from > c.to) problems.push(`--from ${c.from} is after --to ${c.to}`);
    return problems;
  },
};
