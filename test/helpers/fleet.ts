import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUtcDay } from '../../common/time.js';
import { generateFleet, type FleetOptions, type FleetResult } from '../../sdk-mock/generate.js';
import type { GroundTruth } from '../../sdk-mock/ground-truth.js';

export const FLEET_DEFAULTS: FleetOptions = {
  seed: 42, apps: 6, devices: 400, days: 7, start: parseUtcDay('2026-01-05'), dupRate: 0.1, offlineRate: 0.02, maxOfflineDays: 100,
  skewRate: 0.03, legacyRate: 0.02, lossRate: 0.01, shards: 4, workers: 2, out: '',
};

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
}

/** Generates a fleet into a fresh temporary directory. */
export async function fleet(over: Partial<FleetOptions> = {}): Promise<FleetResult & { dir: string }> {
  const dir = over.out ?? tmp('fleet');
  const r = await generateFleet({ ...FLEET_DEFAULTS, ...over, out: dir });
  return { ...r, dir };
}

export function readTruth(dir: string): GroundTruth {
  return JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as GroundTruth;
}
