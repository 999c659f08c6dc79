import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { CliError, SluiceError } from '../../common/errors.js';
import { createLake } from '../../lake/create-lake.js';
import { lakeSchema, type LakeOptions } from '../../lake/options.js';
import { jobsSpec } from '../../jobs/options.js';
import { startJobs, WORKFLOWS } from '../../jobs/run.js';
import { createStore } from '../../store/create-store.js';
import { createProgress } from '../progress.js';

/**
 * `sluice jobs`: runs the events workflow on its cron schedule until stopped.
 * `sluice jobs run <workflow> [--from D --to D]`: one run (a backfill with a range), progress bar.
 * `sluice jobs history`: the latest runs from the store.
 */
export async function jobsCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(jobsSpec, argv);
  const [action, workflow] = cfg.positionals;
  const log = createLogger('jobs', cfg.logLevel);
  const store = await createStore(cfg);
  if (action === 'history') {
    for (const r of await store.listJobRuns({ limit: 50 })) {
      const ms = r.finished_at === null ? '' : `${r.finished_at - r.started_at} ms`;
      console.log(`${new Date(r.started_at).toISOString()}  ${r.workflow.padEnd(20)} ${r.partition_key.padEnd(30)} ${r.status.padEnd(9)} ${ms.padStart(10)}  rows=${r.row_count ?? ''}${r.error ? `  error: ${r.error}` : ''}`);
    }
    await store.close();
    return;
  }
  if (action !== undefined && action !== 'run') {
    await store.close();
    throw new CliError('CLI_ERR_USAGE', `unknown jobs action '${action}': use 'sluice jobs', 'sluice jobs run <workflow>' or 'sluice jobs history'`);
  }
  const lakeOptions = Object.fromEntries(Object.keys(lakeSchema.properties).map((k) => [k, (cfg as Record<string, unknown>)[k]])) as Partial<LakeOptions>;
  const lake = createLake(lakeOptions, 'jobs');
  // A one-off run serves its metrics on a free port: it must not collide with a running scheduler (or the demo).
  const tier = await startJobs({ ...cfg, scheduled: action === undefined, port: action === 'run' ? 0 : cfg.port }, lakeOptions, lake, store, log).catch(async (err: unknown) => {
    await Promise.all([store.close(), lake.close()]);
    throw err;
  });
  const shutdown = () => tier.close().then(() => Promise.all([store.close(), lake.close()]));
  if (action === 'run') {
    const name = workflow ?? 'events';
    if (!WORKFLOWS[name]) {
      await shutdown();
      throw new CliError('CLI_ERR_USAGE', `unknown workflow '${name}' (known: ${Object.entries(WORKFLOWS).map(([k, w]) => `${k}: ${w.description}`).join('; ')})`);
    }
    const range = cfg.from || cfg.to ? { from: cfg.from || cfg.to, to: cfg.to || cfg.from } : null;
    let bar: ReturnType<typeof createProgress> | null = null;
    let phase = '';
    const r = await tier.run(name, range, (p) => {
      if (p.phase !== phase || bar === null) {
        bar?.stop();
        phase = p.phase;
        console.error(`${p.phase}:`);
        bar = createProgress(p.total, p.phase === 'dedupe' ? 'apps' : 'app-days', cfg.progress);
      }
      bar.update(p.done, { events: p.events });
    }).finally(() => (bar as ReturnType<typeof createProgress> | null)?.stop());
    await shutdown();
    console.log(`sluice jobs: ${name} ${r.status} in ${r.ms} ms: ${r.stats.files} new files, ${r.stats.rows} events, ${r.stats.duplicates} duplicates removed, ${r.stats.appDays} app-days loaded (${r.stats.factRows} rows), ${r.stats.restatements} restatements`);
    for (const s of r.steps) console.log(`  ${s.name.padEnd(12)} ${String(s.ms).padStart(8)} ms  rows=${s.rows}${s.attempts > 1 ? `  attempts=${s.attempts}` : ''}`);
    if (r.status === 'failed') throw new SluiceError('JOB_ERR_STEP_FAILED', r.error ?? 'failed');
    if (r.status === 'skipped') console.log(`  skipped: ${r.error}`);
    return;
  }
  console.log(`sluice jobs: events workflow on '${cfg.schedule}', state in ${cfg.stateDir}, metrics on ${tier.url}/metrics`);
  const stop = () => void shutdown().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
