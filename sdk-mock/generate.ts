import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { utcDay } from '../common/time.js';
import type { DeviceKnobs } from './device.js';
import { TruthAccumulator, type GroundTruth } from './ground-truth.js';
import { INDEX_COLS, type ShardResult, type ShardTask } from './shard-worker.js';
import { buildWorld, type World } from './world.js';

export interface FleetOptions extends DeviceKnobs {
  seed: number;
  apps: number;
  devices: number;
  shards: number;
  workers: number;
  /** Output directory; '' keeps only the ground truth in memory. */
  out: string;
}

export interface FleetResult {
  world: World;
  truth: GroundTruth;
  uploads: number;
  /** Gzip bytes written, and the JSON bytes before compression. */
  bytes: number;
  rawBytes: number;
}

/** Writes a file whole or not at all: a killed run never leaves half a truth.json. */
export function writeFileAtomic(path: string, data: string): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

export function generatorInfo(o: FleetOptions): Record<string, unknown> {
  return {
    seed: o.seed, devices: o.devices, apps: o.apps, days: o.days, start: utcDay(o.start), dup_rate: o.dupRate,
    offline_rate: o.offlineRate, max_offline_days: o.maxOfflineDays, skew_rate: o.skewRate,
    legacy_rate: o.legacyRate, loss_rate: o.lossRate, session_timeout_ms: 30_000,
  };
}

/**
 * Generates the fleet over worker threads (one task per shard of devices) and writes:
 * `uploads/part-NNN.bin` (gzip bodies back to back), `uploads/index.ndjson` (one line per
 * body, in order of receipt), `world.json` and `truth.json`.
 */
export async function generateFleet(o: FleetOptions, onProgress?: (events: number, devices: number) => void): Promise<FleetResult> {
  const world = buildWorld(o.seed, o.apps);
  const uploadsDir = o.out ? join(o.out, 'uploads') : '';
  if (uploadsDir) mkdirSync(uploadsDir, { recursive: true });
  const progress = new SharedArrayBuffer(8);
  const counters = new Int32Array(progress);
  const pool = new Piscina({ filename: new URL('./shard-worker.js', import.meta.url).href, maxThreads: o.workers, minThreads: 1, idleTimeout: 1000 });
  const knobs: DeviceKnobs = {
    start: o.start, days: o.days, dupRate: o.dupRate, offlineRate: o.offlineRate, maxOfflineDays: o.maxOfflineDays,
    skewRate: o.skewRate, legacyRate: o.legacyRate, lossRate: o.lossRate,
  };
  const timer = onProgress ? setInterval(() => onProgress(Atomics.load(counters, 0), Atomics.load(counters, 1)), 200) : undefined;
  let results: ShardResult[];
  try {
    const shards = Math.min(o.shards, o.devices);
    results = await Promise.all(
      Array.from({ length: shards }, (_, shard) => {
        const task: ShardTask = { seed: o.seed, apps: o.apps, devices: o.devices, shard, shards, knobs, uploadsDir, progress };
        return pool.run(task) as Promise<ShardResult>;
      }),
    );
  } finally {
    if (timer) clearInterval(timer);
    await pool.destroy();
  }
  onProgress?.(Atomics.load(counters, 0), Atomics.load(counters, 1));

  const acc = new TruthAccumulator(world, o.start, o.days);
  let uploads = 0;
  let bytes = 0;
  let rawBytes = 0;
  for (const r of results) {
    acc.merge(r.part);
    uploads += r.index.length / INDEX_COLS;
    bytes += r.bytes;
    rawBytes += r.rawBytes;
  }
  const truth = acc.toJSON(generatorInfo(o));
  if (o.out) {
    writeIndex(join(uploadsDir, 'index.ndjson'), results, world);
    writeFileAtomic(join(o.out, 'world.json'), JSON.stringify(world, null, 2) + '\n');
    writeFileAtomic(join(o.out, 'truth.json'), truthJson(truth));
  }
  return { world, truth, uploads, bytes, rawBytes };
}

/** truth.json: one row per line, so diffs and greps stay readable. */
export function truthJson(t: GroundTruth): string {
  const rows = (xs: unknown[]) => (xs.length ? '[\n    ' + xs.map((x) => JSON.stringify(x)).join(',\n    ') + '\n  ]' : '[]');
  return (
    `{\n  "format": ${JSON.stringify(t.format)},\n  "generator": ${JSON.stringify(t.generator)},\n  "totals": ${JSON.stringify(t.totals)},\n` +
    `  "lateness_days": ${JSON.stringify(t.lateness_days)},\n  "app_days": ${rows(t.app_days)},\n  "campaign_days": ${rows(t.campaign_days)},\n  "custom": ${rows(t.custom)},\n  "app_day_dims": ${rows(t.app_day_dims)},\n` +
    `  "audience_days": ${rows(t.audience_days)},\n  "app_versions": ${rows(t.app_versions)},\n  "funnels": ${rows(t.funnels)},\n  "campaign_reach": ${rows(t.campaign_reach)},\n` +
    `  "money": {\n  "line_items": ${rows(t.money.line_items)},\n  "campaign_app_days": ${rows(t.money.campaign_app_days)}\n  }\n}\n`
  );
}

function writeIndex(path: string, results: ShardResult[], world: World): void {
  const rows: { at: number; shard: number; r: number; res: ShardResult }[] = [];
  for (const res of results) for (let r = 0; r < res.index.length; r += INDEX_COLS) rows.push({ at: res.index[r]!, shard: res.shard, r, res });
  // Order of receipt; ties broken by file and offset so the index is byte-identical run to run.
  rows.sort((a, b) => a.at - b.at || a.shard - b.shard || a.r - b.r);
  const lines = rows.map(({ res, r }) => {
    const ix = res.index;
    const app = world.apps[ix[r + 3]!]!;
    return `{"file":"${res.file}","offset":${ix[r + 1]},"length":${ix[r + 2]},"received_at":${ix[r]},"app_id":"${app.app_id}","events":${ix[r + 4]}}`;
  });
  writeFileAtomic(path, lines.join('\n') + (lines.length ? '\n' : ''));
}
