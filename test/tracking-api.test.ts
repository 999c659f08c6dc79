import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { signDecision } from '../common/decision-token.js';
import { post, readFrames, startTestTracking, storedEvents } from './helpers/tracking.js';
import { tmp } from './helpers/fleet.js';
import type { Json } from './helpers/json.js';

const now = () => Date.now();
const device = { device_id: 'dev-1', app_id: 'app_0001', platform: 'android', os_version: '14', country: 'DE' };
const ev = (seq: number, extra: object = {}) => ({ event_id: `e-${seq}-${Math.random()}`, seq, type: 'custom', name: 'level_complete', props: { level: seq }, ts: now() - 1000, ...extra });

describe('the tracking API', () => {
  let t: Awaited<ReturnType<typeof startTestTracking>>;
  before(async () => {
    t = await startTestTracking({ maxBodyKb: 64, maxEvents: 20, maxInflatedKb: 256 });
  });
  after(() => t.close());

  test('keeps the valid events of a batch and answers each rejected one with its index and reason', async () => {
    const events = [ev(1), ev(2, { type: 'app_explode' }), ev(3), ev(4, { ts: now() - 500 * 86_400_000 }), ev(5, { props: { deep: { x: 1 } } })];
    const r = await post(t.url, JSON.stringify({ device, sent_at: now(), events }));
    assert.equal(r.status, 200);
    assert.equal(r.json.accepted, 2);
    assert.deepEqual(r.json.rejected.map((x: { index: number; code: string }) => [x.index, x.code]), [[1, 'EVT_UNKNOWN_TYPE'], [3, 'EVT_TOO_OLD'], [4, 'EVT_BAD_PROPS']]);
    assert.ok(typeof r.json.received_at === 'number');
    const stored = storedEvents(t.segmentDir).filter((e) => events.some((x) => x.event_id === e.event_id));
    assert.deepEqual(stored.map((e) => e.seq).sort(), [1, 3]);
    assert.equal(stored[0]!.device_id, 'dev-1', 'the device context is merged into stored events');
    assert.equal(stored[0]!.received_at, r.json.received_at);
  });

  test('takes gzip bodies and stores them as they came', async () => {
    const body = gzipSync(JSON.stringify({ device, events: [ev(10)] }));
    const r = await post(t.url, body, { 'content-encoding': 'gzip' });
    assert.equal(r.status, 200);
    assert.equal(r.json.accepted, 1);
  });

  const bad: [string, () => Promise<{ status: number; json: Json }>, number, string][] = [
    ['a body over the byte limit', () => post(t.url, JSON.stringify({ device, events: [ev(1, { pad: 'x'.repeat(70_000) })] })), 413, 'TRK_ERR_BODY_TOO_LARGE'],
    ['more events than a batch may hold', () => post(t.url, JSON.stringify({ device, events: Array.from({ length: 21 }, (_, i) => ev(i)) })), 413, 'TRK_ERR_BATCH_TOO_LARGE'],
    ['a gzip body that inflates past the limit', () => post(t.url, gzipSync(JSON.stringify({ device, events: [ev(1, { pad: ' '.repeat(400_000) })] })), { 'content-encoding': 'gzip' }), 413, 'TRK_ERR_BODY_TOO_LARGE'],
    ['malformed JSON', () => post(t.url, '{"events":[{"seq":1},'), 400, 'TRK_ERR_BAD_JSON'],
    ['a body that is not an object', () => post(t.url, '[1,2,3]'), 400, 'TRK_ERR_BAD_BODY'],
    ['an empty events array', () => post(t.url, '{"events":[]}'), 400, 'TRK_ERR_BAD_BODY'],
    ['a batch with no valid event', () => post(t.url, JSON.stringify({ events: [{ seq: 1 }] })), 400, 'TRK_ERR_NO_VALID_EVENTS'],
    ['truncated gzip', () => post(t.url, gzipSync(JSON.stringify({ device, events: [ev(1)] })).subarray(0, 20), { 'content-encoding': 'gzip' }), 400, 'TRK_ERR_BAD_GZIP'],
    ['invalid UTF-8', () => post(t.url, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400, 'TRK_ERR_BAD_ENCODING'],
    ['an unknown content encoding', () => post(t.url, 'x', { 'content-encoding': 'br' }), 415, 'TRK_ERR_UNSUPPORTED_ENCODING'],
    ['a wrong content type', () => post(t.url, 'a,b', { 'content-type': 'text/csv' }), 415, 'TRK_ERR_UNSUPPORTED_MEDIA_TYPE'],
  ];
  for (const [what, send, status, code] of bad) {
    test(`answers ${status} ${code} to ${what}, and stores nothing of it`, async () => {
      const frames = readFrames(t.segmentDir).reduce((n, s) => n + s.frames.length, 0);
      const r = await send();
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.equal(r.json.code, code);
      assert.ok(r.json.message.length > 10);
      assert.equal(readFrames(t.segmentDir).reduce((n, s) => n + s.frames.length, 0), frames);
    });
  }

  test('says where malformed JSON broke', async () => {
    const r = await post(t.url, '{"events":[1,2');
    assert.match(r.json.message, /position \d+/);
  });

  test('serves health and Prometheus metrics with the ingest counters', async () => {
    const h = (await (await fetch(`${t.url}/healthz`)).json()) as { status: string };
    assert.equal(h.status, 'ok');
    const m = await (await fetch(`${t.url}/metrics`)).text();
    for (const name of ['sluice_tracking_requests_total', 'sluice_tracking_events_accepted_total', 'sluice_tracking_events_rejected_total{reason="EVT_UNKNOWN_TYPE"', 'sluice_tracking_body_bytes_total', 'sluice_tracking_fsync_seconds_bucket', 'sluice_tracking_open_segment_age_seconds', 'sluice_tracking_ship_lag_seconds']) {
      assert.ok(m.includes(name), `metrics include ${name}`);
    }
  });
});

describe('tracking with app keys, rate limits and beacons', () => {
  let t: Awaited<ReturnType<typeof startTestTracking>>;
  const secret = 'a-test-secret-of-some-length';
  before(async () => {
    const dir = tmp('keys');
    writeFileSync(join(dir, 'keys.json'), JSON.stringify({ 'key-one': 'app_0001', 'key-two': 'app_0002' }));
    t = await startTestTracking({ appKeys: join(dir, 'keys.json'), beaconSecret: secret, rateLimitPerKey: 5 });
  });
  after(() => t.close());

  test('answers 401 to a missing or unknown app key once keys exist', async () => {
    const body = JSON.stringify({ device, events: [ev(1)] });
    assert.equal((await post(t.url, body)).json.code, 'TRK_ERR_BAD_APP_KEY');
    const r = await post(t.url, body, { 'x-sluice-app-key': 'nope' });
    assert.equal(r.status, 401);
  });

  test('refuses events of another app than the key belongs to', async () => {
    const r = await post(t.url, JSON.stringify({ device, events: [ev(1), ev(2, { app_id: 'app_0002' })] }), { 'x-sluice-app-key': 'key-one' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.rejected.map((x: { code: string }) => x.code), ['EVT_APP_MISMATCH']);
  });

  test('answers 429 with Retry-After past the per-key rate', async () => {
    const body = JSON.stringify({ device: { ...device, app_id: 'app_0002' }, events: [ev(1)] });
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await post(t.url, body, { 'x-sluice-app-key': 'key-two' }));
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(limited.length > 0);
    assert.equal(limited[0]!.json.code, 'TRK_ERR_RATE_LIMITED');
    assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
  });

  test('records a signed impression beacon once, and counts forged, replayed and expired ones as rejected', async () => {
    const d = { d: `dec-${Math.random()}`, app: 'app_0001', slot: 's1', campaign: 'cmp_1', creative: 'cr_1', device: 'dev-9', iat: Date.now(), exp: Date.now() + 60_000, url: 'https://example.com/landing' };
    const token = encodeURIComponent(signDecision(d, secret));
    assert.equal((await fetch(`${t.url}/v1/b/imp?t=${token}`)).status, 204);
    assert.equal((await fetch(`${t.url}/v1/b/imp?t=${token}`)).status, 204);
    assert.equal((await fetch(`${t.url}/v1/b/imp?t=${encodeURIComponent(signDecision({ ...d, d: 'x' }, 'another-secret-entirely'))}`)).status, 204);
    assert.equal((await fetch(`${t.url}/v1/b/imp?t=${encodeURIComponent(signDecision({ ...d, d: 'old', exp: Date.now() - 1 }, secret))}`)).status, 204);
    const click = await fetch(`${t.url}/v1/b/clk?t=${token}`, { redirect: 'manual' });
    assert.equal(click.status, 302);
    assert.equal(click.headers.get('location'), d.url);
    assert.equal((await fetch(`${t.url}/v1/b/imp`)).status, 400);
    const stored = storedEvents(t.segmentDir).filter((e) => e.decision_id === d.d);
    assert.deepEqual(stored.map((e) => e.type).sort(), ['ad_click', 'ad_impression']);
    const m = await (await fetch(`${t.url}/metrics`)).text();
    for (const outcome of ['accepted', 'replayed', 'forged', 'expired']) assert.match(m, new RegExp(`sluice_tracking_beacons_total\\{kind="impression",outcome="${outcome}"[^}]*\\} 1`));
  });
});

describe('tracking with app keys from the report store', () => {
  test('accepts an app key the store knows, refuses unknown keys with 401, and refuses events of another app', async () => {
    const { SqliteStore } = await import('../store/sqlite-store.js');
    const dir = tmp('keystore');
    const store = new SqliteStore({ path: join(dir, 'sluice.db') });
    await store.migrate();
    await store.createPublisher({ id: 'pub_k', name: 'P' });
    await store.createApp({ id: 'app_0001', publisher_id: 'pub_k', name: 'A', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    const key = await store.createAppKey('app_0001');
    const t = await startTestTracking({ dataDir: join(dir, 'trk') }, undefined, store);
    try {
      const body = JSON.stringify({ device, events: [ev(1), ev(2, { app_id: 'app_0009' })] });
      const ok = await post(t.url, body, { 'x-sluice-app-key': key });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json.rejected.map((x: { code: string }) => x.code), ['EVT_APP_MISMATCH']);
      assert.equal((await post(t.url, body, { 'x-sluice-app-key': 'ak_forged' })).status, 401);
      assert.equal((await post(t.url, body)).status, 401);
    } finally {
      await t.close();
      await store.close();
    }
  });
});
