import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { adserverSpec } from '../../adserver/options.js';
import { startAdServer } from '../../adserver/run.js';
import { createStore } from '../../store/create-store.js';

/** `sluice adserver`: serves until SIGINT/SIGTERM. */
export async function adserverCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(adserverSpec, argv);
  const log = createLogger('adserver', cfg.logLevel);
  const store = await createStore(cfg);
  const ads = await startAdServer(cfg, store, log);
  console.log(`sluice adserver: listening on ${ads.url} (${ads.state.index.lineItems.length} live line items)`);
  const stop = () => {
    void ads.close().then(() => store.close()).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
