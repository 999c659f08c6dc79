import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { dedupeKey, type KeyedEvent } from '../common/dedupe-key.js';
import { createLogger } from '../common/logger.js';
import { sendFleet } from '../sdk-mock/http-sender.js';
import { FLEET_DEFAULTS, tmp } from './helpers/fleet.js';
import { freePort, kill, spawnTracking } from './helpers/child-tracking.js';
import { readFrames } from './helpers/tracking.js';
import { frameEvents } from '../common/segment-events.js';

test('killed with SIGKILL at random moments while a fleet uploads, tracking loses no acknowledged event and leaves no corrupt frame', async (t) => {
  const dir = tmp('crash');
  const port = await freePort();
  const args = ['--data-dir', dir, '--lake-dir', join(dir, 'lake'), '--port', String(port), '--roll-seconds', '0.5', '--ship-interval-ms', '200', '--node-id', 'crash', '--sqlite-path', join(dir, 'sluice.db')];
  let child = await spawnTracking(args);
  const acked = new Set<string>();
  let ackedUploads = 0;
  const fleetDone = sendFleet(
    {
      ...FLEET_DEFAULTS, devices: 300, seed: 11, target: `http://127.0.0.1:${port}`, concurrency: 32, timeoutMs: 2000, maxRetries: 1000, rate: 400, backoffMs: 20, maxBackoffMs: 300,
      onAck: (d, up) => {
        ackedUploads++;
        const device = JSON.parse(d.ctxJson) as Record<string, unknown>;
        for (const e of up.events) acked.add(dedupeKey({ ...device, ...JSON.parse(e.json) } as KeyedEvent));
      },
    },
    createLogger('crash-fleet', 'silent'),
  );
  let finished = false;
  void fleetDone.finally(() => (finished = true));
  let kills = 0;
  // Kill at random moments until the fleet is done, at least five times.
  while (!finished || kills < 5) {
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 600));
    if (finished && kills >= 5) break;
    await kill(child);
    kills++;
    child = await spawnTracking(args);
  }
  const { stats, truth } = await fleetDone;
  // One last kill mid-stream, then a restart that recovers, and a clean stop that seals.
  await kill(child);
  child = await spawnTracking(args);
  await kill(child, 'SIGTERM');

  assert.ok(kills >= 5, `killed ${kills} times`);
  assert.equal(stats.droppedUploads, 0);
  assert.ok(stats.retries > 0, 'the kills made the fleet retry');
  const segs = readFrames(join(dir, 'segments'));
  const corrupt = segs.flatMap((s) => s.corrupt);
  assert.deepEqual(corrupt, [], 'no corrupt frame');
  assert.ok(segs.every((s) => !s.file.endsWith('.open')), 'every segment was sealed');
  const storedKeys = new Map<string, number>();
  for (const s of segs) for (const f of s.frames) for (const e of frameEvents(f)) {
    const k = dedupeKey(e as unknown as KeyedEvent);
    storedKeys.set(k, (storedKeys.get(k) ?? 0) + 1);
  }
  const missing = [...acked].filter((k) => !storedKeys.has(k));
  assert.equal(missing.length, 0, `${missing.length} acknowledged events are missing`);
  // Re-sent batches show up as extra copies of the same events, never as other events.
  assert.equal(storedKeys.size, truth.totals.delivered, 'every stored event is one the fleet made, and every one it made is stored');
  assert.ok([...storedKeys.values()].some((n) => n > 1), 'replays are stored as duplicates for dedupe to remove');
  assert.ok(ackedUploads > 0);
  t.diagnostic(`${kills} kills; ${acked.size} acknowledged events in ${ackedUploads} uploads, all stored; ${stats.retries} retries; ${[...storedKeys.values()].reduce((a, b) => a + b, 0) - storedKeys.size} duplicate copies stored`);
  rmSync(dir, { recursive: true, force: true });
});
