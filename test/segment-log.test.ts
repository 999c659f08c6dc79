import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createLogger } from '../common/logger.js';
import { Codec, FrameKind, SEGMENT_MAGIC, encodeFrame, scanSegment, validPrefix } from '../common/segment-format.js';
import { createTrackingMetrics } from '../tracking/metrics.js';
import { SegmentLog } from '../tracking/segment-log.js';
import { tmp } from './helpers/fleet.js';

const log = createLogger('segment-test', 'silent');
const frame = (i: number, size = 100) => encodeFrame(FrameKind.Upload, Codec.Identity, 1_700_000_000_000 + i, { n: i }, Buffer.alloc(size, i % 250));
const open = (dir: string, over: Partial<Parameters<typeof SegmentLog.open>[0]> = {}) =>
  SegmentLog.open({ dir, nodeId: 'test_1', rollBytes: 1e9, rollMs: 3_600_000, maxPendingBytes: 64e6, retryAfterSeconds: 1, log, ...over });

describe('the segment log', () => {
  test('makes concurrent appends share fsyncs and resolves each only once it is durable', async () => {
    const dir = tmp('seg');
    const metrics = createTrackingMetrics({ openSegmentAgeSeconds: () => 0, shipLagSeconds: () => 0 });
    const s = open(dir, { metrics });
    await Promise.all(Array.from({ length: 500 }, (_, i) => s.append(frame(i))));
    const syncs = (await metrics.fsyncSeconds.get()).values.find((v) => v.metricName === 'sluice_tracking_fsync_seconds_count')!.value;
    assert.ok(syncs >= 1 && syncs < 100, `500 appends took ${syncs} fsyncs`);
    await s.close();
    const [seg] = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    const items = [...scanSegment(readFileSync(join(dir, seg!)))];
    assert.equal(items.length, 500);
    assert.ok(items.every((x) => x.ok));
    assert.deepEqual(items.map((x) => (x.ok ? x.frame.meta.n : -1)), Array.from({ length: 500 }, (_, i) => i));
    rmSync(dir, { recursive: true });
  });

  test('rolls by size and by age, renaming the open segment when sealed', async () => {
    const dir = tmp('seg');
    const s = open(dir, { rollBytes: 1000 });
    for (let i = 0; i < 30; i++) await s.append(frame(i));
    assert.ok(s.sealed().length >= 2, 'several segments sealed by size');
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg.open')).length <= 1);
    await s.close();
    const t = open(dir, { rollMs: 100 });
    await t.append(frame(99));
    const before = t.sealed().length;
    const t0 = Date.now();
    while (t.sealed().length === before && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.sealed().length, before + 1, 'the age roll sealed the segment');
    await t.close();
    rmSync(dir, { recursive: true });
  });

  test('on start-up cuts a torn tail at the last good frame and seals leftover open segments', async () => {
    const dir = tmp('seg');
    const s = open(dir);
    for (let i = 0; i < 10; i++) await s.append(frame(i));
    const openName = readdirSync(dir).find((f) => f.endsWith('.seg.open'))!;
    const good = readFileSync(join(dir, openName)).length;
    // A crash mid-write: half a frame at the end.
    appendFileSync(join(dir, openName), frame(10).subarray(0, 57));
    writeFileSync(join(dir, 'test_1-1-000009.seg.open'), SEGMENT_MAGIC.subarray(0, 5));
    SegmentLog.recover(dir, log);
    const files = readdirSync(dir);
    assert.ok(!files.some((f) => f.endsWith('.open')), `no open segments left: ${files}`);
    const sealed = join(dir, openName.replace('.open', ''));
    const buf = readFileSync(sealed);
    assert.equal(buf.length, good);
    assert.equal([...scanSegment(buf)].filter((x) => x.ok).length, 10);
    rmSync(dir, { recursive: true });
  });

  test('reports a frame whose CRC does not match and goes on with the rest', () => {
    const frames = [frame(1), frame(2), frame(3)];
    const buf = Buffer.concat([SEGMENT_MAGIC, ...frames]);
    buf[SEGMENT_MAGIC.length + frames[0]!.length + 30]! ^= 0xff;
    const items = [...scanSegment(buf)];
    assert.deepEqual(items.map((x) => x.ok), [true, false, true]);
    assert.equal(items[1]!.ok ? '' : items[1]!.reason, 'CRC32C mismatch');
    // Start-up recovery keeps it and the frames after it: only a torn tail is cut.
    assert.equal(validPrefix(buf), buf.length);
    assert.equal(validPrefix(Buffer.concat([buf, frame(4).subarray(0, 20)])), buf.length);
  });

  test('refuses appends past its pending limit instead of growing without bound', async () => {
    const dir = tmp('seg');
    const s = open(dir, { maxPendingBytes: 1000 });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => s.append(frame(i))));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.length > 0);
    assert.ok(refused.every((r) => (r as PromiseRejectedResult).reason.code === 'TRK_ERR_OVERLOADED'));
    await s.close();
    rmSync(dir, { recursive: true });
  });
});
