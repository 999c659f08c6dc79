import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { createLake } from '../../lake/create-lake.js';
import { pipelineSpec } from '../../pipeline/options.js';
import { startPipeline } from '../../pipeline/run.js';
import { createStore } from '../../store/create-store.js';

/** `sluice pipeline`: polls the lake for sealed segments until stopped (or once, with --once). */
export async function pipelineCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(pipelineSpec, argv);
  const log = createLogger('pipeline', cfg.logLevel);
  const lake = createLake(cfg, 'pipeline');
  const store = await createStore(cfg);
  const p = await startPipeline(cfg, lake, store, log, !cfg.once);
  console.log(`sluice pipeline: reading ${lake.location}/segments, metrics on ${p.url}/metrics`);
  const stop = () => void p.close().then(() => Promise.all([store.close(), lake.close()])).then(() => process.exit(0));
  if (cfg.once) {
    const done = await p.runOnce();
    console.log(`sluice pipeline: ${done.length} segments, ${done.reduce((n, r) => n + r.events, 0)} events, ${done.reduce((n, r) => n + r.files.length, 0)} files`);
    stop();
    return;
  }
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
