import { Type } from '@sinclair/typebox';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type CommandSpec } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { DAY_MS } from '../../common/time.js';
import { adserverSpec } from '../../adserver/options.js';
import { startAdServer } from '../../adserver/run.js';
import { createLake } from '../../lake/create-lake.js';
import { pipelineSpec } from '../../pipeline/options.js';
import { startPipeline } from '../../pipeline/run.js';
import { resolveStart } from '../../sdk-mock/options.js';
import { buildWorld } from '../../sdk-mock/world.js';
import { createStore } from '../../store/create-store.js';
import { trackingSpec } from '../../tracking/options.js';
import { startTracking } from '../../tracking/run.js';
import { seedWorld } from '../seed-world.js';
import { simCommand } from './sim.js';

export const demoSchema = Type.Object({
  dataDir: Type.String({ default: './data', description: 'where the demo keeps its files' }),
  devices: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 2000, description: 'devices in the demo fleet' }),
  seed: Type.Integer({ minimum: 0, default: 42, description: 'seed of the demo fleet' }),
  trackingPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'port of the demo tracking server' }),
  adserverPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8082, description: 'port of the demo ad server' }),
  pipelinePort: Type.Integer({ minimum: 0, maximum: 65535, default: 8083, description: 'port of the demo pipeline metrics' }),
  keepRunning: Type.Boolean({ default: true, description: 'keep the servers up after the fleet is done (Ctrl-C stops them); --no-keep-running exits' }),
});

export const demoSpec: CommandSpec<typeof demoSchema> = {
  name: 'demo',
  summary: 'run every tier that exists on embedded defaults, with a simulated fleet',
  schema: demoSchema,
};

const SECRET = 'sluice-demo-secret-for-this-machine';

/**
 * `sluice demo` (= `npm start`): the tiers that exist, on embedded defaults (SQLite, a local
 * lake under the data directory): the simulated world goes into the report store; tracking
 * (checking the apps' keys), the ad server and the pipeline start; two weeks of a device fleet
 * upload to tracking over HTTP; the segments are shipped and turned into Parquet.
 */
export async function demoCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(demoSpec, argv);
  const log = createLogger('demo', 'warn');
  mkdirSync(cfg.dataDir, { recursive: true });
  const days = 14;
  const start = resolveStart('', days);
  const world = buildWorld(cfg.seed, 20);
  const keysFile = join(cfg.dataDir, 'app-keys.json');
  writeFileSync(keysFile, JSON.stringify({ apps: world.apps.map((a) => ({ app_id: a.app_id, app_key: a.app_key })) }));
  const storeArgs = ['--store', 'sqlite', '--sqlite-path', join(cfg.dataDir, 'sluice.db')];
  const lakeArgs = ['--lake', 'local', '--lake-dir', join(cfg.dataDir, 'lake')];
  const store = await createStore(loadConfig(adserverSpec, storeArgs, {}));
  await seedWorld(store, world, start - DAY_MS, Date.now() + 30 * DAY_MS);

  const trkCfg = loadConfig(trackingSpec, ['--port', String(cfg.trackingPort), '--data-dir', join(cfg.dataDir, 'tracking'), ...lakeArgs, '--roll-seconds', '10', '--ship-interval-ms', '1000', '--node-id', 'demo', '--log-level', 'warn', '--beacon-secret', SECRET, '--app-keys', keysFile], {});
  const lake = createLake(trkCfg, 'demo');
  const tracking = await startTracking(trkCfg, lake, log);
  const adsCfg = loadConfig(adserverSpec, ['--port', String(cfg.adserverPort), '--tracking-url', tracking.url, '--beacon-secret', SECRET, '--log-level', 'warn', ...storeArgs], {});
  const ads = await startAdServer(adsCfg, store, log);
  const pipeCfg = loadConfig(pipelineSpec, ['--port', String(cfg.pipelinePort), ...lakeArgs, ...storeArgs, '--log-level', 'warn'], {});
  const pipeline = await startPipeline(pipeCfg, createLake(pipeCfg, 'demo'), store, log, false);
  const slot = world.apps[0]!.slots[0]!;
  console.log(
    `sluice demo: tracking on ${tracking.url}, ad server on ${ads.url}, pipeline metrics on ${pipeline.url}/metrics\n` +
      `  try: curl '${ads.url}/v1/ad?app=${world.apps[0]!.app_id}&slot=${slot.slot_id}&device=demo-device&platform=ios&os=17.2&country=US'`,
  );
  const simOut = join(cfg.dataDir, 'sim');
  console.log(`sluice demo: ${cfg.devices} simulated devices upload two weeks of events to tracking`);
  await simCommand(['--devices', String(cfg.devices), '--seed', String(cfg.seed), '--days', String(days), '--target', tracking.url, '--out', simOut]);
  await tracking.segments.roll();
  const shipped = await tracking.shipper.shipOnce();
  const done = await pipeline.runOnce();
  console.log(
    `sluice demo: ${shipped} segment(s) shipped to ${lake.location}/segments; the pipeline wrote ${done.reduce((n, r) => n + r.events, 0)} events ` +
      `into ${done.reduce((n, r) => n + r.files.length, 0)} Parquet files under ${lake.location}/events; the exact expected numbers are in ${join(simOut, 'truth.json')}.\n` +
      'The batch jobs and the reporting UI are not built yet; the demo will start them here as they land.',
  );
  const stopAll = async () => {
    await pipeline.close();
    await ads.close();
    await tracking.close();
    await store.close();
  };
  if (!cfg.keepRunning) {
    await stopAll();
    return;
  }
  // From here on the pipeline picks up each segment tracking seals.
  const timer = setInterval(() => void pipeline.runOnce().catch((err: unknown) => log.error({ err }, 'pipeline pass failed')), pipeCfg.pollIntervalMs);
  console.log('sluice demo: servers keep running; press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  await stopAll();
}
