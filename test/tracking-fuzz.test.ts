import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Rng } from '../sdk-mock/rng.js';
import { readFrames, startTestTracking } from './helpers/tracking.js';

const device = { device_id: 'fuzz-dev', app_id: 'app_0001', platform: 'ios' };
const goodEvent = () => ({ event_id: 'e1', seq: 1, type: 'app_open', ts: Date.now() });

/** Malformed bodies, each broken in a way no server may accept, drawn from a seeded stream. */
function malformed(rng: Rng, i: number): { body: Buffer | string; headers: Record<string, string>; kind: string } {
  const valid = JSON.stringify({ device, events: [goodEvent(), goodEvent()] });
  const json = { 'content-type': 'application/json' };
  switch (i % 12) {
    case 0: {
      const gz = gzipSync(valid);
      return { body: gz.subarray(0, 1 + rng.int(gz.length - 9)), headers: { ...json, 'content-encoding': 'gzip' }, kind: 'truncated gzip' };
    }
    case 1: {
      const b = Buffer.from(valid);
      b[1 + rng.int(b.length - 2)] = 0xc0 + rng.int(2); // an overlong lead byte is never valid UTF-8
      return { body: b, headers: json, kind: 'invalid UTF-8' };
    }
    case 2: {
      const d = 1000 + rng.int(100_000);
      return { body: '['.repeat(d) + ']'.repeat(d), headers: json, kind: 'deep nesting at the top' };
    }
    case 3: {
      const d = 50 + rng.int(5000);
      return { body: `{"device":${JSON.stringify(device)},"events":[{"event_id":"x","seq":1,"type":"app_open","ts":${Date.now()},"extra":${'['.repeat(d)}${']'.repeat(d)}}]}`, headers: json, kind: 'deep nesting in an event' };
    }
    case 4:
      return { body: `{"device":${JSON.stringify(device)},"events":[{"event_id":"x","seq":1,"type":"app_open","ts":1${'0'.repeat(300 + rng.int(400))}}]}`, headers: json, kind: 'huge number' };
    case 5:
      return { body: `{"device":${JSON.stringify(device)},"events":[{"event_id":"x","seq":${'9'.repeat(20 + rng.int(50))},"type":"app_open","ts":${Date.now()}}]}`, headers: json, kind: 'unsafe integer' };
    case 6: {
      const wrong = [1, 'a', null, true, [], { seq: 'one' }][rng.int(6)];
      return { body: JSON.stringify({ device, events: [wrong, { ...goodEvent(), type: 42 }] }), headers: json, kind: 'wrong types in events' };
    }
    case 7: {
      const bodies = ['{"events":"x"}', '{"events":{}}', '{"device":[],"events":[{}]}', '"just a string"', 'null', '42', '{"events":[],"device":{}}', `{"sent_at":"yesterday","events":[${JSON.stringify(goodEvent())}]}`];
      return { body: bodies[rng.int(bodies.length)]!, headers: json, kind: 'wrong types at the top' };
    }
    case 8:
      return { body: JSON.stringify({ device: { ...device, device_id: 'x'.repeat(200 + rng.int(50_000)) }, events: [goodEvent()] }), headers: json, kind: 'oversized field' };
    case 9:
      return { body: JSON.stringify({ device, events: [goodEvent()], pad: 'y'.repeat(1_100_000) }), headers: json, kind: 'oversized body' };
    case 10: {
      const cut = valid.slice(0, 1 + rng.int(valid.length - 2));
      return { body: cut, headers: json, kind: 'truncated JSON' };
    }
    default: {
      const b = Buffer.alloc(1 + rng.int(2000));
      for (let k = 0; k < b.length; k++) b[k] = rng.int(256);
      b[0] = 0x80; // never starts a JSON value
      return { body: b, headers: rng.chance(0.5) ? json : { ...json, 'content-encoding': 'gzip' }, kind: 'random bytes' };
    }
  }
}

test('ten thousand malformed bodies each get a 4xx, the process stays up, and nothing is written', async (t) => {
  const trk = await startTestTracking();
  try {
    const rng = new Rng(2026);
    const statuses = new Map<string, number>();
    const wrong: string[] = [];
    let next = 0;
    const N = 10_000;
    const worker = async () => {
      for (let i = next++; i < N; i = next++) {
        const m = malformed(rng, i);
        const res = await fetch(`${trk.url}/v1/events`, { method: 'POST', body: m.body, headers: m.headers });
        const text = await res.text();
        const key = `${m.kind} -> ${res.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (res.status < 400 || res.status >= 500) wrong.push(`${m.kind}: ${res.status} ${text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} bodies were not answered with a 4xx`);
    const health = await fetch(`${trk.url}/healthz`);
    assert.equal(health.status, 200, 'the server is alive');
    const frames = readFrames(trk.segmentDir).reduce((n, s) => n + s.frames.length, 0);
    assert.equal(frames, 0, 'nothing was written');
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), N);
    t.diagnostic([...statuses].sort().map(([k, v]) => `${k}: ${v}`).join('; '));
  } finally {
    await trk.close();
  }
});
