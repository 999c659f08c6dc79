import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { frameEvents } from '../common/segment-events.js';
import { tmp } from './helpers/fleet.js';
import { post, readFrames, startTestTracking } from './helpers/tracking.js';

const device = { device_id: 'full-dev', app_id: 'app_0001', platform: 'android' };

test('when the disk is full, uploads get 503 with Retry-After, nothing unwritten is acknowledged, and ingest resumes once there is space', async () => {
  const dir = tmp('diskfull');
  // A real full disk: a 512 KiB tmpfs (CI runs as root, as this test needs).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir]);
  try {
    writeFileSync(join(dir, 'ballast'), Buffer.alloc(200 * 1024));
    const t = await startTestTracking({ dataDir: join(dir, 'trk'), lakeDir: join(tmp('lake'), 'l'), retryAfterSeconds: 3, shipIntervalMs: 3_600_000 });
    try {
      const acked: string[] = [];
      let full: Awaited<ReturnType<typeof post>> | undefined;
      for (let i = 0; i < 200 && !full; i++) {
        // Random padding does not compress, so each batch takes ~20 KiB of disk.
        const events = [{ event_id: `full-${i}`, seq: i, type: 'app_open', ts: Date.now(), pad: randomBytes(15_000).toString('base64') }];
        const r = await post(t.url, JSON.stringify({ device, events }));
        if (r.status === 200) acked.push(`full-${i}`);
        else full = r;
      }
      assert.ok(full, 'the disk filled up');
      assert.equal(full.status, 503);
      assert.equal(full.json.code, 'TRK_ERR_STORAGE');
      assert.equal(full.headers.get('retry-after'), '3');
      assert.equal((await fetch(`${t.url}/healthz`)).status, 200, 'the server stays up');
      const storedIds = () => readFrames(t.segmentDir).flatMap((s) => {
        assert.deepEqual(s.corrupt, []);
        return s.frames.flatMap((f) => frameEvents(f).map((e) => e.event_id as string));
      });
      assert.deepEqual(storedIds(), acked, 'exactly the acknowledged batches are on disk, whole');
      rmSync(join(dir, 'ballast'));
      const again = await post(t.url, JSON.stringify({ device, events: [{ event_id: 'after', seq: 999, type: 'app_open', ts: Date.now() }] }));
      assert.equal(again.status, 200);
      assert.deepEqual(storedIds(), [...acked, 'after']);
    } finally {
      await t.close().catch(() => undefined);
    }
  } finally {
    execFileSync('umount', [dir]);
  }
});
