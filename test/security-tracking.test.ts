import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { loadConfig } from '../common/config.js';
import { signDecision } from '../common/decision-token.js';
import { ConfigError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { Codec, FrameKind, FrameLimitError, MAX_EVENTS_PER_FRAME, MAX_FRAME_BYTES, SEGMENT_MAGIC, encodeFrame, scanSegment } from '../common/segment-format.js';
import { trackingSpec } from '../tracking/options.js';
import { SegmentLog } from '../tracking/segment-log.js';
import { tmp } from './helpers/fleet.js';
import { disguise, rawRequest } from './helpers/disguise.js';
import { post, startTestTracking, storedEvents } from './helpers/tracking.js';

const device = { device_id: 'sec-dev', app_id: 'app_0001', platform: 'android', os_version: '14', country: 'DE' };
let n = 0;
const ev = (extra: object = {}) => ({ event_id: `sec-${++n}-${Math.random()}`, seq: n, type: 'custom', name: 'level_complete', props: { level: 1 }, ts: Date.now() - 1000, ...extra });
const gz = { 'content-encoding': 'gzip' };
const rejectedCodes = (json: { rejected: { index: number; code: string }[] }) => json.rejected.map((r) => [r.index, r.code]);

/** An open socket to the server, collecting what it answers and when it closes. */
async function rawClient(url: string): Promise<{ sock: Socket; answer: () => string; closed: Promise<number> }> {
  const { port } = new URL(url);
  const sock = connect(Number(port), '127.0.0.1');
  await once(sock, 'connect');
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString()));
  sock.on('error', () => undefined); // writes after the server closed us
  const t0 = performance.now();
  const closed = new Promise<number>((resolve) => sock.once('close', () => resolve(performance.now() - t0)));
  return { sock, answer: () => got, closed };
}

/** Resolves with the time the socket took to close, or rejects after `ms`. */
function closedWithin(closed: Promise<number>, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<number>((_, reject) => (timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms)));
  return Promise.race([closed, late]).finally(() => clearTimeout(timer));
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
}

describe('tracking under hostile bodies', () => {
  let t: Awaited<ReturnType<typeof startTestTracking>>;
  before(async () => {
    t = await startTestTracking();
  });
  after(() => t.close());

  test("keeps other clients' uploads quick while a parse bomb is sent over and over (p99 under 250 ms; one bomb used to hold the event loop ~500 ms)", async (tc) => {
    // 8 KB of gzip, 8 MB of JSON: an events array of four million zeros.
    const bomb = gzipSync(`{"events":[${'0,'.repeat(3_999_999)}0]}`, { level: 9 });
    assert.ok(bomb.length < 16_000);
    const first = await post(t.url, bomb, gz);
    assert.equal(first.status, 413);
    assert.equal(first.json.code, 'TRK_ERR_BATCH_TOO_LARGE');
    const upload = () => post(t.url, JSON.stringify({ device, events: [ev(), ev()] }));
    for (let i = 0; i < 50; i++) assert.equal((await upload()).status, 200); // warm-up: JIT and page cache, not measured
    let stop = false;
    let bombs = 0;
    const bomber = async () => {
      while (!stop) {
        const r = await post(t.url, bomb, gz);
        assert.equal(r.status, 413);
        bombs++;
        await delay(10); // pacing, ~100 bombs/s from the two: each one took the event loop ~0.5 s before the scan
      }
    };
    const bombers = [bomber(), bomber()];
    const latencies: number[] = [];
    const deadline = performance.now() + 20_000;
    try {
      // At least 100 uploads, and on until at least 20 bombs came in between (bounded by the deadline).
      while ((latencies.length < 100 || bombs < 20) && performance.now() < deadline) {
        const t0 = performance.now();
        const r = await upload();
        latencies.push(performance.now() - t0);
        assert.equal(r.status, 200);
      }
    } finally {
      stop = true;
      await Promise.all(bombers);
    }
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    assert.ok(latencies.length >= 100 && bombs >= 20, `${latencies.length} uploads and ${bombs} bombs in 20 s (p99 ${p99.toFixed(1)} ms)`);
    tc.diagnostic(`${latencies.length} uploads, p99 ${p99.toFixed(1)} ms, ${bombs} bombs in between`);
    // The bound tells a blocked event loop (each bomb ~500 ms before the scan) from a busy machine:
    // on a 2-core CI running two test files at once, a healthy p99 was seen from 30 to 101 ms.
    assert.ok(p99 < 250, `p99 ${p99.toFixed(1)} ms with ${bombs} bombs in between`);
  });

  test('answers 413 TRK_ERR_BODY_TOO_COMPLEX to a nesting bomb and to a value bomb outside the events, before parsing them', async () => {
    const deep = gzipSync(`{"events":[${JSON.stringify(ev()).replace(/}$/, `,"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`)}]}`);
    const values = gzipSync(`{"events":[${JSON.stringify(ev())}],"pad":[${'0,'.repeat(999_999)}0]}`);
    for (const body of [deep, values]) {
      const t0 = performance.now();
      const r = await post(t.url, body, gz);
      assert.equal(r.status, 413, JSON.stringify(r.json));
      assert.equal(r.json.code, 'TRK_ERR_BODY_TOO_COMPLEX');
      assert.ok(performance.now() - t0 < 500, 'answered without parsing it');
    }
  });

  test('refuses, one by one with EVT_BAD_STRING, events whose strings hold a lone surrogate or NUL, and keeps their neighbours', async () => {
    const events = [
      ev(),
      ev({ props: { level: 'v\ud800' } }),
      ev({ name: 'a\u0000b' }),
      ev({ event_id: '\udc00x' }),
      ev({ custom: { deeper: ['ok', 'bad\udbff'] } }),
      ev({ props: { ['k\ud800']: 1 } }),
      ev({ ['x\u0000']: 1 }),
      ev({ props: { emoji: '\ud83d\ude00' }, region: 'Bayern' }),
    ];
    const body = JSON.stringify({ device, events });
    assert.ok(body.includes('\\ud800') && body.includes('\\u0000'), 'the body carries the escapes');
    const r = await post(t.url, body);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(rejectedCodes(r.json), [1, 2, 3, 4, 5, 6].map((i) => [i, 'EVT_BAD_STRING']));
    assert.equal(r.json.accepted, 2);
    const stored = storedEvents(t.segmentDir).filter((e) => events.some((x) => x.event_id === e.event_id));
    assert.deepEqual(stored.map((e) => e.event_id).sort(), [events[0]!.event_id, events[7]!.event_id].sort());
    assert.equal((stored.find((e) => e.event_id === events[7]!.event_id)!.props as { emoji: string }).emoji, '\ud83d\ude00', 'a surrogate pair is kept');
    const dev = await post(t.url, JSON.stringify({ device: { ...device, device_model: 'Pixel\u0000' }, events: [ev()] }));
    assert.equal(dev.status, 400);
    assert.equal(dev.json.code, 'TRK_ERR_BAD_BODY');
    assert.match(dev.json.message, /EVT_BAD_STRING/);
  });

  test('refuses fields and props named __proto__, constructor or prototype one by one, and a device carrying one', async () => {
    const events = [ev(), ev(), ev(), ev(), ev()];
    const json = events.map((e) => JSON.stringify(e));
    json[1] = json[1]!.replace(/}$/, ',"__proto__":{"polluted":1}}');
    json[2] = json[2]!.replace('"props":{', '"props":{"constructor":"x",');
    json[3] = json[3]!.replace(/}$/, ',"extra":{"a":{"prototype":1}}}');
    const r = await post(t.url, `{"device":${JSON.stringify(device)},"events":[${json.join(',')}]}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(rejectedCodes(r.json), [1, 2, 3].map((i) => [i, 'EVT_RESERVED_NAME']));
    const d = await post(t.url, `{"device":${JSON.stringify(device).replace(/}$/, ',"__proto__":{"a":1}}')},"events":[${json[0]}]}`);
    assert.equal(d.status, 400);
    assert.equal(d.json.code, 'TRK_ERR_BAD_BODY');
  });

  test('answers an invalid device with TRK_ERR_BAD_BODY and the reason in the message', async () => {
    const r = await post(t.url, JSON.stringify({ device: { ...device, device_id: 'x'.repeat(200) }, events: [ev()] }));
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'TRK_ERR_BAD_BODY');
    assert.match(r.json.message, /EVT_FIELD_TOO_LONG/);
    assert.match(r.json.message, /device_id/);
  });
});

describe('tracking against slow and piled-up clients', () => {
  test('answers 408 and closes a client that sends nothing, or dribbles its headers or its body, within the timeout', async () => {
    const t = await startTestTracking({ headersTimeoutMs: 500, bodyTimeoutMs: 1000 });
    try {
      const silent = await rawClient(t.url);
      const slowBody = await rawClient(t.url);
      slowBody.sock.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
      const slowHead = await rawClient(t.url);
      slowHead.sock.write('POST /v1/events HTTP/1.1\r\n');
      // A byte every 100 ms each: never idle, never done.
      const drip = setInterval(() => {
        slowBody.sock.write(' ');
        slowHead.sock.write('X');
      }, 100);
      try {
        const [bodyMs, headMs, silentMs] = await Promise.all([closedWithin(slowBody.closed, 5000), closedWithin(slowHead.closed, 5000), closedWithin(silent.closed, 5000)]);
        assert.ok(bodyMs < 2000, `slow body closed after ${bodyMs} ms`);
        assert.ok(headMs < 1500, `slow headers closed after ${headMs} ms`);
        assert.ok(silentMs < 1500, `silent connection closed after ${silentMs} ms`);
        assert.match(slowBody.answer(), /^HTTP\/1\.1 408/);
      } finally {
        clearInterval(drip);
        for (const c of [slowBody, slowHead, silent]) c.sock.destroy();
      }
    } finally {
      await t.close();
    }
  });

  test('answers 503 TRK_ERR_BUSY with Retry-After while stalled uploads hold the in-flight bytes, and takes uploads again once they go', async () => {
    const t = await startTestTracking({ maxBodyKb: 8, maxInflightMb: 0.02 });
    const stalled = [await rawClient(t.url), await rawClient(t.url)];
    try {
      for (const s of stalled) s.sock.write('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8192\r\n\r\n{"events":[');
      for (let i = 0; i < 200 && (await metric(t.url, 'sluice_tracking_inflight_bytes')) < 16384; i++) await delay(10); // polls the server's gauge
      assert.equal(await metric(t.url, 'sluice_tracking_inflight_bytes'), 16384);
      const body = JSON.stringify({ device, events: [ev({ pad: 'p'.repeat(4000) })] });
      const busy = await post(t.url, body);
      assert.equal(busy.status, 503, JSON.stringify(busy.json));
      assert.equal(busy.json.code, 'TRK_ERR_BUSY');
      assert.ok(Number(busy.headers.get('retry-after')) >= 1);
      for (const s of stalled) s.sock.destroy();
      for (let i = 0; i < 200 && (await metric(t.url, 'sluice_tracking_inflight_bytes')) > 0; i++) await delay(10);
      assert.equal((await post(t.url, body)).status, 200, 'the bytes were given back');
      assert.equal(await metric(t.url, 'sluice_tracking_inflight_bytes'), 0);
    } finally {
      for (const s of stalled) s.sock.destroy();
      await t.close();
    }
  });
});

describe('tracking within the segment frame format', () => {
  test('refuses at start-up a body or batch limit that a frame cannot hold, and timeouts that contradict', () => {
    try {
      loadConfig(trackingSpec, ['--max-body-kb', '65536', '--max-events', '100000', '--headers-timeout-ms', '20000', '--no-app-keys-from-store'], {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      for (const bit of ['--max-body-kb 65536', '--max-events 100000', '--max-pending-mb', '--max-inflight-mb', '--headers-timeout-ms']) assert.ok(err.message.includes(bit), `mentions ${bit}: ${err.message}`);
    }
    const ok = loadConfig(trackingSpec, ['--max-events', String(MAX_EVENTS_PER_FRAME), '--no-app-keys-from-store'], {});
    assert.equal(ok.maxEvents, MAX_EVENTS_PER_FRAME);
  });

  test('answers 413, not 500, to a batch whose refused events the frame meta cannot list', async () => {
    const t = await startTestTracking({ maxEvents: 20_001 });
    try {
      const r = await post(t.url, `{"device":${JSON.stringify(device)},"events":[${JSON.stringify(ev())}${',0'.repeat(20_000)}]}`);
      assert.equal(r.status, 413, JSON.stringify(r.json).slice(0, 300));
      assert.equal(r.json.code, 'TRK_ERR_BATCH_TOO_LARGE');
      const most = await post(t.url, `{"device":${JSON.stringify(device)},"events":[${JSON.stringify(ev())}${',0'.repeat(MAX_EVENTS_PER_FRAME - 1)}]}`);
      assert.equal(most.status, 200, 'a batch of the largest allowed size, all but one refused, is stored');
      assert.equal(most.json.rejected.length, MAX_EVENTS_PER_FRAME - 1);
    } finally {
      await t.close();
    }
  });

  test('never writes a frame longer than readers take', () => {
    assert.throws(() => encodeFrame(FrameKind.Upload, Codec.Gzip, 1, {}, Buffer.alloc(MAX_FRAME_BYTES)), FrameLimitError);
    assert.throws(() => encodeFrame(FrameKind.Upload, Codec.Gzip, 1, { rejected: Array.from({ length: 20_000 }, (_, i) => i) }, Buffer.alloc(10)), FrameLimitError);
  });

  test('keeps, at recovery, a whole CRC-valid frame over the length limit and the acknowledged frame after it', () => {
    const dir = tmp('seg-big');
    const meta = Buffer.from('{}');
    const payload = Buffer.alloc(MAX_FRAME_BYTES + 100, 0x20);
    payload.writeUInt8(FrameKind.Upload, 0);
    payload.writeUInt8(Codec.Identity, 1);
    payload.writeUInt16LE(meta.length, 2);
    payload.writeDoubleLE(1_700_000_000_000, 4);
    meta.copy(payload, 12);
    const header = Buffer.alloc(8);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32c(payload), 4);
    const next = encodeFrame(FrameKind.Upload, Codec.Identity, 1_700_000_000_001, { n: 2 }, Buffer.from('{"events":[]}'));
    const file = Buffer.concat([SEGMENT_MAGIC, header, payload, next]);
    writeFileSync(join(dir, 'node-1-000001.seg.open'), file);
    SegmentLog.recover(dir, createLogger('sec-test', 'silent'));
    assert.deepEqual(readdirSync(dir), ['node-1-000001.seg']);
    const kept = readFileSync(join(dir, 'node-1-000001.seg'));
    assert.equal(kept.length, file.length, 'nothing was cut');
    const items = [...scanSegment(kept)];
    assert.deepEqual(items.map((x) => x.ok), [true, true]);
  });
});

describe('tracking beacons', () => {
  test('counts a signed beacon whose ids hold NUL as malformed and stores nothing of it', async () => {
    const secret = 'a-test-secret-of-some-length';
    const t = await startTestTracking({ beaconSecret: secret });
    try {
      const d = { d: `dec-${Math.random()}`, app: 'app_0001', slot: 's1', campaign: 'cmp_1', creative: 'cr_1', device: 'dev\u0000', iat: Date.now(), exp: Date.now() + 60_000 };
      const res = await fetch(`${t.url}/v1/b/imp?t=${encodeURIComponent(signDecision(d, secret))}`);
      assert.equal(res.status, 204);
      assert.equal(storedEvents(t.segmentDir).filter((e) => e.decision_id === d.d).length, 0);
      const m = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(m, /sluice_tracking_beacons_total\{kind="impression",outcome="malformed"[^}]*\} 1/);
    } finally {
      await t.close();
    }
  });
});

describe('tracking under disguised paths', () => {
  let t: Awaited<ReturnType<typeof startTestTracking>>;
  before(async () => {
    const dir = tmp('disguise');
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ 'key-one': 'app_0001' }));
    t = await startTestTracking({ appKeys: join(dir, 'keys.json'), liveToken: 'a-live-token-for-tests' });
  });
  after(() => t.close());

  test('an upload without its app key and the live feed without its token are refused under every spelling of their paths', async () => {
    const body = JSON.stringify({ device, events: [ev()] });
    const before = storedEvents(t.segmentDir).length;
    for (const v of disguise('/v1/events')) {
      const r = await rawRequest(t.url, 'POST', v.path, {}, body);
      assert.ok(r.status === 401 || r.status === 404, `${v.kind} ${v.path}: ${r.status} ${r.body}`);
    }
    // The Segment route: a batch without a write key is refused (401), and under a disguised path not found (404).
    const segBody = JSON.stringify({ batch: [{ type: 'track', messageId: 'm-d', userId: 'u', event: 'E' }] });
    for (const v of disguise('/v1/batch')) {
      const r = await rawRequest(t.url, 'POST', v.path, {}, segBody);
      assert.ok(r.status === 401 || r.status === 404, `${v.kind} ${v.path}: ${r.status} ${r.body}`);
    }
    for (const v of disguise('/v1/live?since=0')) {
      const r = await rawRequest(t.url, 'GET', v.path);
      assert.equal(r.status, 404, `${v.kind} ${v.path}: ${r.status} ${r.body}`);
    }
    assert.equal(storedEvents(t.segmentDir).length, before, 'nothing was stored');
    // The plain path with the key does store (so the count above could change).
    assert.equal((await rawRequest(t.url, 'POST', '/v1/events', { 'x-sluice-app-key': 'key-one' }, body)).status, 200);
    assert.equal(storedEvents(t.segmentDir).length, before + 1);
  });
});
