import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { createLake } from '../../lake/create-lake.js';
import { trackingSpec } from '../../tracking/options.js';
import { startTracking } from '../../tracking/run.js';
import { createStore } from '../../store/create-store.js';

/** `sluice tracking`: runs until SIGINT/SIGTERM, then seals and ships what it holds. */
export async function trackingCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(trackingSpec, argv);
  const log = createLogger('tracking', cfg.logLevel);
  const store = (!cfg.appKeys && cfg.appKeysFromStore) || cfg.impressionsToStore ? await createStore(cfg) : undefined;
  const t = await startTracking(cfg, createLake(cfg, 'tracking'), log, store);
  console.log(`sluice tracking: listening on ${t.url} (segments in ${t.segmentDir})`);
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down: sealing and shipping');
    t.close().then(() => store?.close()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
