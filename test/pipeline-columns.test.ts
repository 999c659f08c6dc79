import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Codec, FRAME_HEADER, FrameKind, encodeFrame } from '../common/segment-format.js';
import decode from '../pipeline/decode-worker.js';
import { chunkRows, sliceChunk, type RowChunk } from '../pipeline/row-columns.js';
import { frameRows } from '../pipeline/row.js';
import { decodePayload } from '../common/segment-format.js';

const T = Date.UTC(2026, 9, 1, 12);
const upload = (device: string, app: string, events: object[]): Buffer =>
  encodeFrame(FrameKind.Upload, Codec.Gzip, T, {}, gzipSync(JSON.stringify({ device: { device_id: device, app_id: app, platform: 'ios', country: 'DE', os_version: '17.1' }, sent_at: T - 1000, events })));

/** Frames as the segment processor hands them to decode: payloads copied into one buffer. */
function task(frames: Buffer[]) {
  const data = Buffer.concat(frames.map((f) => f.subarray(FRAME_HEADER, FRAME_HEADER + f.readUInt32LE(0))));
  let at = 0;
  return {
    segment: 'seg-1',
    data,
    frames: frames.map((f, i) => {
      const length = f.readUInt32LE(0);
      const out = { offset: 1000 * i, start: at, length };
      at += length;
      return out;
    }),
  };
}

test('decode hands rows on as one columnar chunk per partition: typed arrays and dictionaries, not JSON text', () => {
  const frames = [
    upload('d1', 'app1', [{ type: 'session_start', ts: T - 5000, seq: 0 }, { type: 'screen_view', ts: T - 4000, seq: 1, name: 'home', props: { a: 1 } }]),
    upload('d2', 'app2', [{ type: 'session_start', ts: T - 3000 }]),
    upload('d3', 'app1', [{ type: 'session_start', ts: T - 2000, seq: 0, event_id: 'e1' }, { type: 'ad_click', ts: T - 86_400_000, seq: 1, campaign_id: 'c1' }]),
  ];
  const out = decode(task(frames)) as unknown as { chunks: RowChunk[]; rows?: unknown };
  assert.equal(out.rows, undefined);
  assert.deepEqual(out.chunks.map((c) => [c.part, c.n]), [['app_id=app1/dt=2026-10-01', 3], ['app_id=app2/dt=2026-10-01', 1], ['app_id=app1/dt=2026-09-30', 1]]);
  const c = out.chunks[0]!;
  assert.ok(c.str.type!.ids instanceof Int32Array);
  assert.ok(c.int.ts instanceof Float64Array);
  // Few distinct values cross once: three rows of one platform and two types.
  assert.deepEqual(c.str.platform!.dict, [null, 'ios']);
  assert.deepEqual(c.str.type!.dict, [null, 'session_start', 'screen_view']);
  assert.deepEqual([...c.str.type!.ids], [1, 2, 1]);
  // Column by column, the rows are exactly those frameRows makes, in the order they came.
  const want = frames.flatMap((f, i) => frameRows(decodePayload(f.subarray(FRAME_HEADER, FRAME_HEADER + f.readUInt32LE(0))), 'seg-1', 1000 * i));
  const got = out.chunks.flatMap((ch) => chunkRows(ch));
  const byPart = (r: { app_id: string; dt: string }) => `app_id=${r.app_id}/dt=${r.dt}`;
  for (const part of new Set(want.map(byPart))) assert.deepEqual(got.filter((r) => byPart(r) === part), want.filter((r) => byPart(r) === part));
});

test('a chunk cut in two gives back the same rows, nulls and zeros kept apart', () => {
  const out = decode(task([upload('d1', 'app1', [{ type: 'a', ts: T, seq: 0 }, { type: 'b', ts: T, event_id: 'x' }, { type: 'a', ts: T, seq: 2 }])]));
  const c = out.chunks[0]!;
  const whole = chunkRows(c);
  assert.equal(whole[0]!.seq, 0);
  assert.equal(whole[1]!.seq, null);
  assert.equal(whole[0]!.event_id, null);
  assert.deepEqual([...chunkRows(sliceChunk(c, 0, 1)), ...chunkRows(sliceChunk(c, 1, 3))], whole);
  // A cut is a copy: it does not take the whole chunk's buffers across threads.
  assert.equal(sliceChunk(c, 1, 3).int.ts!.buffer.byteLength, 2 * 8);
});
