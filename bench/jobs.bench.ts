/**
 * bench:jobs — a fleet's events (default 5M, 10 % replays) through the pipeline into Parquet
 * once (cached under data/bench-jobs-<events>), then in the same run, each in its own process
 * so its peak RSS is its own:
 *   - the jobs engine alone: discover, dedupe (with its state), sessions and aggregates on the
 *     worker pool, the facts counted but not stored (as DuckDB is measured);
 *   - the whole `sluice jobs run events` workflow, with the load into SQLite;
 *   - DuckDB (@duckdb/node-api, 2 threads): the same dedupe and hourly aggregates in SQL over
 *     the same Parquet files.
 * Prints events/s, peak RSS, the ratio of times, and whether the hourly event counts agree.
 *   - the same workflow into a real MariaDB (test/helpers/mariadb.ts installs and starts one; --no-mysql skips it).
 * Usage: npm run bench:jobs [-- --events 5000000 --threads 2 --no-mysql]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { createLogger } from '../common/logger.js';
import { LocalLake } from '../lake/local-lake.js';
import { startPipeline } from '../pipeline/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { MysqlStore } from '../store/mysql-store.js';
import type { ReportStore } from '../store/store.js';
import { startMariaDb } from '../test/helpers/mariadb.js';
import { copyCatalog } from './copy-catalog.js';
import { jobsOptions } from '../test/helpers/jobs.js';
import { startJobs } from '../jobs/run.js';
import { aggregatePending, dedupe, discover, emptyStats, type JobsContext } from '../jobs/batch.js';
import { StepIO } from '../jobs/workflow.js';
import { loadManifest } from '../jobs/state.js';
import { Piscina } from 'piscina';
import { fleetSegments } from './fleet-lake.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '5000000' }, mysql: { type: 'string', default: '' }, 'no-mysql': { type: 'boolean', default: false }, threads: { type: 'string', default: String(cpus().length) }, mode: { type: 'string', default: '' }, dir: { type: 'string', default: '' }, keep: { type: 'boolean', default: true } } });
const self = fileURLToPath(import.meta.url);
const threads = Number(values.threads);
const HOURLY_SQL = (glob: string) => `
  with d as (select distinct on (coalesce(dedupe_key, app_id || chr(0) || device_id || chr(0) || 'id:' || event_id)) app_id, device_id, type, epoch_ms(event_time) as event_time, platform, os_version, app_version, country, device_class
             from read_parquet('${glob}', hive_partitioning = false))
  select app_id, (event_time // 3600000) * 3600000 as hour, platform, os_version, app_version, country, device_class,
         count(*) as events, count(*) filter (where type = 'app_open') as app_open, count(*) filter (where type = 'ad_impression') as ad_impression,
         count(*) filter (where type = 'ad_click') as ad_click, count(*) filter (where type = 'custom') as custom, count(distinct device_id) as devices
  from d group by all`;

/**
 * The same hourly aggregates with sessions, by the rules of common/sessions.ts in window
 * functions: an event is in an open session unless the one before was app_close or a
 * background more than 30 s before it; app_open, or an event outside a session (not a close),
 * starts one; a session ends at its close, else at its last event + 30 s, but never after an
 * app_open that starts the next. Counted in the hour of its first event, with its dimensions.
 */
const SESSIONS_SQL = (glob: string) => `
  with d as (select distinct on (coalesce(dedupe_key, app_id || chr(0) || device_id || chr(0) || 'id:' || event_id)) app_id, device_id, seq, type, epoch_ms(event_time) as event_time, platform, os_version, app_version, country, device_class
             from read_parquet('${glob}', hive_partitioning = false)),
  e as (select *, lag(type) over w as pt, lag(event_time) over w as ptime from d window w as (partition by app_id, device_id order by seq, event_time)),
  f as (select *, coalesce(pt <> 'app_close' and not (pt = 'app_background' and event_time - ptime > 30000), false) as ob from e),
  g as (select *, (type = 'app_open' or (not ob and type <> 'app_close')) as st from f),
  h as (select *, sum(st::int) over (partition by app_id, device_id order by seq, event_time rows unbounded preceding) as sid from g),
  s as (select app_id, device_id, sid, min(event_time) as start_t, arg_max(event_time, seq) as last_t, arg_max(type, seq) = 'app_close' as closed,
               arg_min(type = 'app_open' and ob, seq) as opened_while_open, arg_min(platform, seq) as platform, arg_min(os_version, seq) as os_version,
               arg_min(app_version, seq) as app_version, arg_min(country, seq) as country, arg_min(device_class, seq) as device_class
        from h where st or ob group by all),
  n as (select *, lead(start_t) over w as next_t, lead(opened_while_open) over w as next_while_open from s window w as (partition by app_id, device_id order by sid)),
  ss as (select app_id, (start_t // 3600000) * 3600000 as hour, platform, os_version, app_version, country, device_class, count(*) as sessions,
                sum(case when closed then last_t when coalesce(next_while_open, false) then least(last_t + 30000, next_t) else last_t + 30000 end - start_t) as session_ms
         from n group by all),
  ev as (select app_id, (event_time // 3600000) * 3600000 as hour, platform, os_version, app_version, country, device_class,
                count(*) as events, count(distinct device_id) as devices from d group by all)
  select coalesce(ev.app_id, ss.app_id), coalesce(ev.hour, ss.hour), coalesce(events, 0), coalesce(devices, 0), coalesce(sessions, 0), coalesce(session_ms, 0)
  from ev full outer join ss using (app_id, hour, platform, os_version, app_version, country, device_class)`;

if (values.mode === 'jobs') {
  const dir = values.dir!;
  const run = join(dir, 'run');
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  cpSync(join(dir, 'sluice.db'), join(run, 'sluice.db'));
  let store: ReportStore = new SqliteStore({ path: join(run, 'sluice.db') });
  await store.migrate();
  if (values.mysql) {
    // The same world (apps, campaigns, ...) in MariaDB: the prepared SQLite store's catalog rows, copied.
    const mysqlStore = new MysqlStore({ url: values.mysql });
    await mysqlStore.migrate();
    await copyCatalog(join(run, 'sluice.db'), values.mysql);
    await store.close();
    store = mysqlStore;
  }
  const lake = new LocalLake({ dir: join(dir, 'lake') });
  const tier = await startJobs({ ...jobsOptions({ stateDir: join(run, 'state'), threads }), scheduled: false }, { lake: 'local', lakeDir: join(dir, 'lake') }, lake, store, createLogger('bench', 'warn'));
  const r = await tier.run('events');
  const hourly = new Map<string, number>();
  const sessions = new Map<string, [number, number]>();
  for (const a of await store.listApps()) {
    for (const h of await store.appHourly(a.id, 0, 4e12)) {
      const k = `${a.id}|${h.hour}`;
      hourly.set(k, (hourly.get(k) ?? 0) + h.events);
      const x = sessions.get(k) ?? [0, 0];
      sessions.set(k, [x[0] + h.sessions, x[1] + h.session_ms]);
    }
  }
  const suffix = values.mysql ? '-mysql' : '';
  writeFileSync(join(dir, `jobs-sessions${suffix}.json`), JSON.stringify([...sessions].filter(([, [n]]) => n > 0).map(([k, [n, ms]]) => [k, `${n}/${ms}`])));
  await tier.close();
  await store.close();
  writeFileSync(join(dir, `jobs-hourly${suffix}.json`), JSON.stringify([...hourly]));
  const steps = Object.fromEntries(r.steps.map((s) => [s.name, s.ms]));
  console.log(JSON.stringify({ status: r.status, error: r.error, events: r.stats.rows, duplicates: r.stats.duplicates, appDays: r.stats.appDays, storeMs: r.stats.storeMs, steps, rssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

if (values.mode === 'compute') {
  // Nothing is stored in this mode: the aggregate step only asks the store for the app's funnels (none).
  const NO_STORE = { listFunnels: async () => [] } as unknown as JobsContext['store'];
  // The engine alone, as DuckDB is measured: discover, dedupe (with its state files) and the
  // sessions and aggregates of every pending app-day on the pool, results counted, not stored.
  const dir = values.dir!;
  const run = join(dir, 'compute');
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  const opts = jobsOptions({ stateDir: join(run, 'state'), threads });
  const lake = new LocalLake({ dir: join(dir, 'lake') });
  const pool = threads > 0 ? new Piscina({ filename: new URL('../jobs/worker.js', import.meta.url).href, minThreads: threads, maxThreads: threads }) : null;
  const ctx: JobsContext = { opts, lake, lakeOptions: { lake: 'local', lakeDir: join(dir, 'lake') }, store: NO_STORE, log: createLogger('bench', 'warn'), pool, runId: 'bench', range: null, now: Date.now, onProgress: () => {}, stats: emptyStats(), restated: [], quarantined: new Map() };
  const io = new StepIO();
  if (pool) await Promise.all(Array.from({ length: threads }, () => pool.run({ kind: 'warm' }).catch(() => undefined)));
  const t0 = performance.now();
  await discover(ctx, io);
  const t1 = performance.now();
  await dedupe(ctx, io);
  const t2 = performance.now();
  let factRows = 0;
  await aggregatePending(ctx, await loadManifest(opts.stateDir, opts.dedupePartitions), async (r) => {
    for (const f of Object.values(r.facts)) factRows += f.hourly.length + f.daily.length + f.campaign.length + f.custom.length + f.touches.length;
  });
  const t3 = performance.now();
  await pool?.destroy();
  console.log(JSON.stringify({ events: ctx.stats.rows, factRows, discoverMs: t1 - t0, dedupeMs: t2 - t1, aggregateMs: t3 - t2, ms: t3 - t0, rssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

if (values.mode === 'duckdb') {
  const dir = values.dir!;
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const c = await db.connect();
  const glob = join(dir, 'lake', 'events', '**', '*.parquet');
  const t0 = performance.now();
  const rows = (await c.runAndReadAll(HOURLY_SQL(glob))).getRows();
  const ms = performance.now() - t0;
  const hourly = new Map<string, number>();
  for (const r of rows) hourly.set(`${String(r[0])}|${Number(r[1])}`, (hourly.get(`${String(r[0])}|${Number(r[1])}`) ?? 0) + Number(r[7]));
  writeFileSync(join(dir, 'duck-hourly.json'), JSON.stringify([...hourly]));
  const t1 = performance.now();
  const srows = (await c.runAndReadAll(SESSIONS_SQL(glob))).getRows();
  const sessionsMs = performance.now() - t1;
  const sessions = new Map<string, [number, number]>();
  for (const r of srows) {
    const k = `${String(r[0])}|${Number(r[1])}`;
    const x = sessions.get(k) ?? [0, 0];
    sessions.set(k, [x[0] + Number(r[4]), x[1] + Number(r[5])]);
  }
  writeFileSync(join(dir, 'duck-sessions.json'), JSON.stringify([...sessions].map(([k, [n, ms2]]) => [k, `${n}/${ms2}`])));
  console.log(JSON.stringify({ ms, sessionsMs, groups: rows.length, rssMb: process.resourceUsage().maxRSS / 1024 }));
  c.closeSync();
  process.exit(0);
}

const target = Number(values.events);
const dir = resolve(values.dir || `data/bench-jobs-${target}`);
if (!existsSync(join(dir, 'ready'))) {
  console.log(`bench:jobs — preparing ~${target.toLocaleString('en')} events: fleet -> segments -> pipeline -> Parquet in ${dir} (once; kept for later runs)...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const { fleet, segments } = await fleetSegments(dir, join(dir, 'lake'), join(dir, 'sluice.db'), target, 64e6);
  const store = new SqliteStore({ path: join(dir, 'sluice.db') });
  const p = await startPipeline({ host: '127.0.0.1', port: 0, pollIntervalMs: 60_000, decodeThreads: cpus().length, encodeThreads: cpus().length, enrichConcurrency: 4, batchFrames: 64, queueCapacity: 8, maxRowsPerFile: 200_000, maxBufferedRows: 200_000, segmentConcurrency: 1 }, new LocalLake({ dir: join(dir, 'lake') }), store, createLogger('bench', 'warn'), false);
  const done = await p.runOnce();
  await p.close();
  await store.close();
  rmSync(join(dir, 'fleet'), { recursive: true, force: true });
  writeFileSync(join(dir, 'ready'), JSON.stringify({ sent: fleet.truth.totals.sent, segments, files: done.reduce((n, r) => n + r.files.length, 0) }));
  console.log(`prepared ${fleet.truth.totals.sent.toLocaleString('en')} events (${fleet.truth.totals.duplicates_sent.toLocaleString('en')} replayed copies) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const MARIADB_POOL_MB = 1024;
type JobsRun = { status: string; error: string | null; events: number; duplicates: number; appDays: number; storeMs: number; steps: Record<string, number>; rssMb: number };
const child = (mode: string, extra: string[] = []) => JSON.parse(execFileSync(process.execPath, [self, '--mode', mode, '--dir', dir, '--threads', String(threads), ...extra], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop()!) as Record<string, unknown>;
const c = child('compute') as { events: number; factRows: number; discoverMs: number; dedupeMs: number; aggregateMs: number; ms: number; rssMb: number };
const j = child('jobs') as JobsRun;
if (j.status !== 'succeeded') throw new Error(`jobs run ${j.status}: ${j.error}`);
const workflowMs = (r: JobsRun) => (r.steps.discover ?? 0) + (r.steps.dedupe ?? 0) + (r.steps.load ?? 0);
const fullMs = workflowMs(j);
// The same workflow into a real MariaDB (installed and started as the tests do; --no-mysql skips it and says so).
let my: JobsRun | string = 'skipped (--no-mysql)';
if (!values['no-mysql']) {
  try {
    // A buffer pool sized for the load, as a report store's server would have (the tests' 64 MB made the campaign facts' inserts 1.4-1.6x slower).
    const maria = await startMariaDb({ bufferPoolMb: MARIADB_POOL_MB });
    try {
      my = child('jobs', ['--mysql', await maria.createDatabase('bench_jobs')]) as JobsRun;
      if (my.status !== 'succeeded') throw new Error(`jobs run into MariaDB ${my.status}: ${my.error}`);
    } finally {
      await maria.stop();
    }
  } catch (err) {
    my = `failed: ${(err as Error).message}`;
  }
}
const d = child('duckdb') as { ms: number; sessionsMs: number; groups: number; rssMb: number };
const rate = (ms: number) => Math.round(c.events / (ms / 1000)).toLocaleString('en');
console.log(`input: ${c.events.toLocaleString('en')} events in Parquet (${j.duplicates.toLocaleString('en')} duplicates), ${j.appDays} app-days, ${threads} threads`);
console.log(`sluice engine, dedupe + sessions + aggregates (no store): ${(c.ms / 1000).toFixed(2)} s = ${rate(c.ms)} events/s, peak RSS ${c.rssMb.toFixed(0)} MB`);
console.log(`  discover ${(c.discoverMs / 1000).toFixed(2)} s, dedupe ${(c.dedupeMs / 1000).toFixed(2)} s, sessions + aggregates ${(c.aggregateMs / 1000).toFixed(2)} s; ${c.factRows.toLocaleString('en')} fact rows`);
console.log(`DuckDB (${threads} threads), dedupe + hourly event counts and devices in SQL: ${(d.ms / 1000).toFixed(2)} s = ${rate(d.ms)} events/s, ${d.groups.toLocaleString('en')} hourly groups`);
console.log(`DuckDB (${threads} threads), the same with sessions and session time (window functions): ${(d.sessionsMs / 1000).toFixed(2)} s = ${rate(d.sessionsMs)} events/s; peak RSS ${d.rssMb.toFixed(0)} MB`);
console.log(`time ratio sluice engine / DuckDB: ${(c.ms / d.ms).toFixed(2)} against the counts alone, ${(c.ms / d.sessionsMs).toFixed(2)} against the aggregates with sessions (below 1 = faster than DuckDB; goal >= 1M events/s and <= 1)`);
console.log(`whole 'jobs run events' with the SQLite load: ${(fullMs / 1000).toFixed(2)} s = ${rate(fullMs)} events/s (of which store writes ${(j.storeMs / 1000).toFixed(2)} s), peak RSS ${j.rssMb.toFixed(0)} MB`);
const steps = (r: JobsRun) => `  steps: ${Object.entries(r.steps).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`).join(', ')}`;
console.log(steps(j));
if (typeof my === 'string') console.log(`whole 'jobs run events' with the MariaDB load: ${my}`);
else {
  console.log(`whole 'jobs run events' with the MariaDB load (InnoDB buffer pool ${MARIADB_POOL_MB} MB): ${(workflowMs(my) / 1000).toFixed(2)} s = ${rate(workflowMs(my))} events/s (of which store writes ${(my.storeMs / 1000).toFixed(2)} s), peak RSS ${my.rssMb.toFixed(0)} MB`);
  console.log(steps(my));
}
const { readFileSync } = await import('node:fs');
const readMap = <V>(name: string) => new Map(JSON.parse(readFileSync(join(dir, name), 'utf8')) as [string, V][]);
const theirs = readMap<number>('duck-hourly.json');
const theirsS = readMap<string>('duck-sessions.json');
for (const [store, suffix] of [['SQLite', ''], ['MariaDB', '-mysql']] as const) {
  if (suffix && typeof my === 'string') continue;
  const mine = readMap<number>(`jobs-hourly${suffix}.json`);
  let differ = 0;
  for (const [k, v] of theirs) if (mine.get(k) !== v) differ++;
  console.log(`${store}: hourly event counts per app and hour: ${theirs.size - differ} of ${theirs.size} agree with DuckDB${differ ? ` (${differ} differ)` : ''}${mine.size !== theirs.size ? `; sluice has ${mine.size} app-hours` : ''}`);
  const mineS = readMap<string>(`jobs-sessions${suffix}.json`);
  let differS = 0;
  for (const [k, v] of theirsS) if ((mineS.get(k) ?? '0/0') !== v) differS++;
  console.log(`${store}: hourly sessions and session time per app and hour: ${theirsS.size - differS} of ${theirsS.size} agree with DuckDB${differS ? ` (${differS} differ)` : ''}`);
}
if (!values.keep) rmSync(dir, { recursive: true, force: true });
