import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createLogger } from '../../common/logger.js';
import { sendFleet } from '../../sdk-mock/http-sender.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { seedWorld } from '../../cli/seed-world.js';
import { LocalLake } from '../../lake/local-lake.js';
import { startPipeline, type PipelineOptions } from '../../pipeline/run.js';
import { DAY_MS } from '../../common/time.js';
import { FLEET_DEFAULTS, tmp } from './fleet.js';
import type { GroundTruth } from '../../sdk-mock/ground-truth.js';
import type { World } from '../../sdk-mock/world.js';
import { startTestTracking } from './tracking.js';

export const PIPELINE_OPTS: PipelineOptions = { host: '127.0.0.1', port: 0, pollIntervalMs: 60_000, decodeThreads: 2, encodeThreads: 2, enrichConcurrency: 4, batchFrames: 8, queueCapacity: 4, maxRowsPerFile: 5000, maxBufferedRows: 20_000, segmentConcurrency: 2 };

/** A lake with sealed segments from a fleet sent through a real tracking server, and a store with its world. */
export async function fleetLake(devices = 80, seed = 5, rollMb = 0.4, over: Partial<typeof FLEET_DEFAULTS> = {}): Promise<{ dir: string; lakeDir: string; dbPath: string; segments: string[]; truth: GroundTruth; world: World; start: number }> {
  const dir = tmp('pipe');
  const lakeDir = join(dir, 'lake');
  const t = await startTestTracking({ dataDir: join(dir, 'trk'), lakeDir, rollMb, shipIntervalMs: 3_600_000 });
  const start = Date.UTC(2026, 9, 1);
  const { world, truth } = await sendFleet({ ...FLEET_DEFAULTS, ...over, devices, seed, start, target: t.url, concurrency: 16, timeoutMs: 5000, maxRetries: 5, rate: 0 }, createLogger('fleet', 'silent'));
  await t.segments.roll();
  await t.shipper.shipOnce();
  await t.close();
  const dbPath = join(dir, 'sluice.db');
  const store = new SqliteStore({ path: dbPath });
  await store.migrate();
  // The world minus one app and one campaign, so unknown ids show up flagged.
  await seedWorld(store, { ...world, apps: world.apps.slice(1), campaigns: world.campaigns.slice(1) }, start - DAY_MS, start + 200 * DAY_MS);
  await store.close();
  const segments = (await new LocalLake({ dir: lakeDir }).list('segments/')).map((o) => o.key);
  return { dir, lakeDir, dbPath, segments, truth, world, start };
}

export async function runPipelineOnce(lakeDir: string, dbPath: string) {
  const store = new SqliteStore({ path: dbPath });
  const p = await startPipeline(PIPELINE_OPTS, new LocalLake({ dir: lakeDir }), store, createLogger('pipe', 'silent'), false);
  try {
    const done = await p.runOnce();
    return { done, hitRatio: p.enricher.hitRatio, metrics: await (await fetch(`${p.url}/metrics`)).text() };
  } finally {
    await p.close();
    await store.close();
  }
}

/** Runs SQL over the lake's Parquet output with DuckDB. */
export async function duck(lakeDir: string, sql: (events: string) => string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  // dedupe_key as a reader sees it: stored, or built from the ids where the pipeline left it out (pipeline/row.ts).
  const events = `(select * replace (coalesce(dedupe_key, app_id || chr(0) || device_id || chr(0) || 'id:' || event_id) as dedupe_key) from read_parquet('${join(lakeDir, 'events')}/**/*.parquet', hive_partitioning = true))`;
  const rows = (await c.runAndReadAll(sql(events))).getRows();
  c.closeSync();
  return rows as unknown[][];
}
