import { Type } from '@sinclair/typebox';
import { loadConfig, type CommandSpec } from '../../common/config.js';
import { simCommand } from './sim.js';
import { join } from 'node:path';

export const demoSchema = Type.Object({
  dataDir: Type.String({ default: './data', description: 'where the demo keeps its files' }),
  devices: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 2000, description: 'devices in the demo fleet' }),
  seed: Type.Integer({ minimum: 0, default: 42, description: 'seed of the demo fleet' }),
});

export const demoSpec: CommandSpec<typeof demoSchema> = {
  name: 'demo',
  summary: 'run every tier that exists on embedded defaults, with a simulated fleet',
  schema: demoSchema,
};

/**
 * `sluice demo`. Today the fleet is the only tier that exists: the demo simulates two weeks
 * of a device fleet up to today and writes its uploads and ground truth under the data
 * directory. Later tiers plug in here.
 */
export async function demoCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(demoSpec, argv);
  const out = join(cfg.dataDir, 'sim');
  console.log(`sluice demo: simulating ${cfg.devices} devices over the last 14 days into ${out}`);
  await simCommand(['--devices', String(cfg.devices), '--seed', String(cfg.seed), '--days', '14', '--out', out]);
  console.log(
    `sluice demo: done. Uploads are in ${join(out, 'uploads')} (index.ndjson lists them), the exact expected numbers in ${join(out, 'truth.json')}.\n` +
      'The tracking, ad server, pipeline, jobs and reporting tiers are not built yet; the demo will start them here as they land.',
  );
}
