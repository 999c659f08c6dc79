import { Type } from '@sinclair/typebox';
import { join } from 'node:path';
import { loadConfig, type CommandSpec } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { createLake } from '../../lake/create-lake.js';
import { trackingSpec } from '../../tracking/options.js';
import { startTracking } from '../../tracking/run.js';
import { simCommand } from './sim.js';

export const demoSchema = Type.Object({
  dataDir: Type.String({ default: './data', description: 'where the demo keeps its files' }),
  devices: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 2000, description: 'devices in the demo fleet' }),
  seed: Type.Integer({ minimum: 0, default: 42, description: 'seed of the demo fleet' }),
  trackingPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'port of the demo tracking server' }),
  keepRunning: Type.Boolean({ default: true, description: 'keep the servers up after the fleet is done (Ctrl-C stops them); --no-keep-running exits' }),
});

export const demoSpec: CommandSpec<typeof demoSchema> = {
  name: 'demo',
  summary: 'run every tier that exists on embedded defaults, with a simulated fleet',
  schema: demoSchema,
};

/**
 * `sluice demo` (= `npm start`): starts the tiers that exist on embedded defaults and sends a
 * simulated fleet through them. Today: tracking on a local lake, and two weeks of a device
 * fleet up to today uploaded to it over HTTP, with the ground truth written beside it.
 */
export async function demoCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(demoSpec, argv);
  const log = createLogger('demo', 'warn');
  const trkCfg = loadConfig(trackingSpec, [
    '--port', String(cfg.trackingPort), '--data-dir', join(cfg.dataDir, 'tracking'), '--lake-dir', join(cfg.dataDir, 'lake'),
    '--roll-seconds', '10', '--ship-interval-ms', '1000', '--node-id', 'demo', '--log-level', 'warn', '--beacon-secret', 'sluice-demo-secret-for-this-machine',
  ], {});
  const lake = createLake(trkCfg, 'demo');
  const tracking = await startTracking(trkCfg, lake, log);
  console.log(`sluice demo: tracking listening on ${tracking.url} (metrics at ${tracking.url}/metrics); lake in ${lake.location}`);
  const simOut = join(cfg.dataDir, 'sim');
  console.log(`sluice demo: ${cfg.devices} simulated devices upload two weeks of events to it`);
  await simCommand(['--devices', String(cfg.devices), '--seed', String(cfg.seed), '--days', '14', '--target', tracking.url, '--out', simOut]);
  await tracking.segments.roll();
  const shipped = await tracking.shipper.shipOnce();
  console.log(
    `sluice demo: ${shipped} segment(s) shipped to ${lake.location}/segments; the exact expected numbers are in ${join(simOut, 'truth.json')}.\n` +
      'The ad server, pipeline, jobs and reporting tiers are not built yet; the demo will start them here as they land.',
  );
  if (!cfg.keepRunning) {
    await tracking.close();
    return;
  }
  console.log('sluice demo: servers keep running; press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await tracking.close();
}
