import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { duck, fleetLake, runPipelineOnce } from './helpers/pipeline.js';
import { kill } from './helpers/child-tracking.js';
import { LocalLake } from '../lake/local-lake.js';
import { segmentName } from '../pipeline/segment-processor.js';
import { leaseKey, SegmentLeases } from '../pipeline/segment-lease.js';
import { createLogger } from '../common/logger.js';
import { tmp } from './helpers/fleet.js';
import { SqliteStore } from '../store/sqlite-store.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Every output row, as a sorted multiset of (partition, dedupe key, enriched columns, segment). */
async function output(lakeDir: string): Promise<string[]> {
  const rows = await duck(lakeDir, (ev) => `select app_id || '|' || dt || '|' || dedupe_key || '|' || coalesce(app_name, '') || '|' || coalesce(advertiser_id, '') || '|' || device_class || '|' || segment from ${ev}`);
  return rows.map((r) => r[0] as string).sort();
}

/** A `sluice pipeline --once` process whose JSON log lines are collected as they come. */
function pipeline(lakeDir: string, dbPath: string): { child: ChildProcess; logs: Record<string, unknown>[]; exited: Promise<unknown[]> } {
  const child = spawn(process.execPath, [MAIN, 'pipeline', '--once', '--lake', 'local', '--lake-dir', lakeDir, '--store', 'sqlite', '--sqlite-path', dbPath, '--port', '0',
    '--decode-threads', '1', '--encode-threads', '1', '--max-rows-per-file', '100', '--lease-ms', '3000', '--lease-renew-ms', '500', '--poll-interval-ms', '100', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const logs: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout!.on('data', (c: Buffer) => {
    const lines = (rest + c.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (l.startsWith('{')) logs.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { child, logs, exited };
}

const doneBy = (logs: Record<string, unknown>[]): string[] => logs.filter((l) => l.msg === 'segment done').map((l) => l.segment as string);

test('two pipelines share one lake, one is killed mid-segment, and the survivor leaves the output of one uninterrupted run, each segment done once', async (t) => {
  const fx = await fleetLake(70, 8, 0.06);
  const children: ChildProcess[] = [];
  try {
    const names = fx.segments.filter((k) => k.endsWith('.seg')).map(segmentName);
    assert.ok(names.length >= 6, `many segments (${names.length})`);
    const sharedLake = join(fx.dir, 'lake-shared');
    cpSync(fx.lakeDir, sharedLake, { recursive: true });
    // The reference: one process, uninterrupted.
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    const want = await output(fx.lakeDir);
    assert.ok(want.length > 5000);

    const A = pipeline(sharedLake, fx.dbPath);
    const B = pipeline(sharedLake, fx.dbPath);
    children.push(A.child, B.child);
    // SIGKILL A once it has finished a segment and has staged files of the next one.
    const staging = join(sharedLake, '_staging');
    const mine = new RegExp(`^([^/]+)/[^/]*-${A.child.pid}-[^/]*/.+\\.parquet$`);
    let killedOn: string | null = null;
    for (let i = 0; i < 20_000 && A.child.exitCode === null && killedOn === null; i++) {
      const staged = doneBy(A.logs).length > 0 && existsSync(staging) ? (readdirSync(staging, { recursive: true }) as string[]).map((p) => mine.exec(p.replaceAll('\\', '/'))).find((m) => m) : undefined;
      if (staged) {
        await kill(A.child, 'SIGKILL');
        killedOn = staged[1]!;
      } else await new Promise((r) => setTimeout(r, 2));
    }
    assert.ok(killedOn !== null, 'the kill landed while A had a segment half written');
    // Bounded: a survivor that never finishes fails the test, it does not hang it.
    let bound: NodeJS.Timeout | undefined;
    const code = await Promise.race([B.exited.then(([c]) => c), new Promise((r) => (bound = setTimeout(r, 90_000, 'still running after 90 s')))]);
    clearTimeout(bound);
    assert.equal(code, 0, 'the survivor finished every segment and exited');

    const byA = doneBy(A.logs);
    const byB = doneBy(B.logs);
    t.diagnostic(`${names.length} segments: A did ${byA.length} and was killed on one, B did ${byB.length}`);
    assert.deepEqual(byA.filter((n) => byB.includes(n)), [], 'no segment finished by both');
    assert.deepEqual([...byA, ...byB].sort(), [...names].sort(), 'every segment finished once');
    assert.ok(byB.includes(killedOn), 'the killed segment was redone by the survivor');
    const takeovers = B.logs.filter((l) => typeof l.from === 'string' && l.from.includes(`-${A.child!.pid}-`));
    assert.deepEqual(takeovers.map((l) => l.segment), [killedOn], 'B took over the lease of the segment A died on, and only that one');

    assert.deepEqual(await output(sharedLake), want, 'row for row the output of one uninterrupted run');
    const lake = new LocalLake({ dir: sharedLake });
    assert.deepEqual(await lake.list('_staging/'), [], 'no staged leftovers, A\'s included');
    assert.equal((await lake.list('_checkpoints/')).length, names.length);
    const store = new SqliteStore({ path: fx.dbPath });
    try {
      for (const n of names) assert.equal(await store.jobLockHolder(leaseKey(n)), undefined, `the lease of ${n} is released`);
    } finally {
      await store.close();
    }
  } finally {
    for (const c of children) await kill(c, 'SIGKILL');
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test('a holder whose lease was taken over, finished and released does not get it back by renewing', async () => {
  const dir = tmp('lease');
  const store = new SqliteStore({ path: join(dir, 'sluice.db') });
  await store.migrate();
  try {
    const log = createLogger('lease', 'silent');
    // A holds for 50 ms and then stalls (no renewal); B takes the segment over, finishes it and releases it.
    const a = await new SegmentLeases(store, 'holder-a', 50, 1_000_000, log).claim('seg-1');
    assert.ok(a);
    // The lease's 50 ms must pass on the clock (time itself, not a condition anything signals).
    await new Promise((r) => setTimeout(r, 60));
    const bLeases = new SegmentLeases(store, 'holder-b', 30_000, 1_000_000, log);
    const b = await bLeases.claim('seg-1');
    assert.ok(b, 'the expired lease is taken over');
    assert.equal(bLeases.counts.takenOver, 1);
    await b.release();
    // A wakes up and fences before its commit: the lease is lost, and not made again.
    await assert.rejects(a.confirm(), (err: Error & { code?: string }) => err.code === 'PIPE_ERR_LEASE_LOST');
    assert.equal(await store.jobLockHolder(leaseKey('seg-1')), undefined);
    await a.release();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
