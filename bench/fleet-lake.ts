import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Codec, FrameKind, SEGMENT_MAGIC, encodeFrame } from '../common/segment-format.js';
import { DAY_MS, parseUtcDay } from '../common/time.js';
import { generateFleet, type FleetResult } from '../sdk-mock/generate.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { seedWorld } from '../cli/seed-world.js';

export const BENCH_START = parseUtcDay('2026-10-01');

/**
 * A fleet of about `target` events (10 % replays, late and skewed devices), its uploads framed
 * as tracking would (gzip bodies as they came) into sealed segments of `segmentBytes` under
 * `lakeDir/segments`, and a SQLite store at `dbPath` with its world.
 */
export async function fleetSegments(dir: string, lakeDir: string, dbPath: string, target: number, segmentBytes: number): Promise<{ fleet: FleetResult; segments: number }> {
  const fleetDir = join(dir, 'fleet');
  const fleet = await generateFleet({ seed: 42, apps: 20, devices: Math.ceil(target / 153), days: 14, start: BENCH_START, dupRate: 0.1, offlineRate: 0.02, maxOfflineDays: 100, skewRate: 0.03, legacyRate: 0.02, lossRate: 0.01, shards: 8, workers: 2, out: fleetDir });
  mkdirSync(join(lakeDir, 'segments', 'dt=2026-10-01'), { recursive: true });
  const parts = new Map<string, Buffer>();
  let seg: Buffer[] = [SEGMENT_MAGIC];
  let segBytes = 0;
  let segN = 0;
  const flushSeg = () => {
    writeFileSync(join(lakeDir, 'segments', 'dt=2026-10-01', `bench-${1_790_000_000_000 + segN}-${String(segN).padStart(6, '0')}.seg`), Buffer.concat(seg));
    segN++;
    seg = [SEGMENT_MAGIC];
    segBytes = 0;
  };
  for (const line of readFileSync(join(fleetDir, 'uploads', 'index.ndjson'), 'utf8').split('\n')) {
    if (!line) continue;
    const ix = JSON.parse(line) as { file: string; offset: number; length: number; received_at: number };
    let part = parts.get(ix.file);
    if (!part) parts.set(ix.file, (part = readFileSync(join(fleetDir, 'uploads', ix.file))));
    const frame = encodeFrame(FrameKind.Upload, Codec.Gzip, ix.received_at, {}, part.subarray(ix.offset, ix.offset + ix.length));
    seg.push(frame);
    segBytes += frame.length;
    if (segBytes >= segmentBytes) flushSeg();
  }
  if (segBytes > 0) flushSeg();
  const store = new SqliteStore({ path: dbPath });
  await store.migrate();
  await seedWorld(store, fleet.world, BENCH_START - DAY_MS, BENCH_START + 200 * DAY_MS);
  await store.close();
  return { fleet, segments: segN };
}
