import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { uiSpec } from '../../reporting-ui/options.js';
import { startUi } from '../../reporting-ui/run.js';
import { createStore } from '../../store/create-store.js';

/** `sluice ui`: the reporting UI and API until stopped. */
export async function uiCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(uiSpec, argv);
  const log = createLogger('ui', cfg.logLevel);
  const store = await createStore(cfg);
  const ui = await startUi(cfg, store, log);
  console.log(`sluice ui: ${ui.url} (API docs at ${ui.url}/docs)${(await store.listUsers()).length === 0 ? '; no user yet: start once with --admin-email and --admin-password' : ''}`);
  const stop = () => void ui.close().then(() => store.close()).then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
