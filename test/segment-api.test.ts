/**
 * The Segment-shaped routes of the tracking tier over real HTTP: the write key as basic-auth
 * user, one answer with a reason per refused message, valid neighbours kept, and the stored
 * events mapped onto Sluice's contract.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestTracking, storedEvents } from './helpers/tracking.js';
import type { Json } from './helpers/json.js';

type Tracking = Awaited<ReturnType<typeof startTestTracking>>;
let dir = '';
let t: Tracking;
const auth = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, 'content-type': 'application/json' });
const now = () => new Date(Date.now() - 60_000).toISOString();

async function send(path: string, body: unknown, headers: Record<string, string> = auth('wk_1')): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
  return { status: res.status, json: await res.json() };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-segment-api-'));
  await writeFile(join(dir, 'keys.json'), JSON.stringify({ wk_1: 'app_one' }));
  t = await startTestTracking({ appKeys: join(dir, 'keys.json'), dataDir: join(dir, 'tracking') });
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the Segment HTTP API on tracking', () => {
  it('refuses a request without a known write key with TRK_ERR_BAD_APP_KEY', async () => {
    const msg = { userId: 'u1', event: 'Signed Up', timestamp: now() };
    const none = await send('/v1/track', msg, { 'content-type': 'application/json' });
    assert.equal(none.status, 401);
    assert.equal(none.json.code, 'TRK_ERR_BAD_APP_KEY');
    const unknown = await send('/v1/track', msg, auth('wk_nope'));
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json.code, 'TRK_ERR_BAD_APP_KEY');
  });

  it('keeps the valid messages of a batch and gives each refused one its index and reason', async () => {
    const before = storedEvents(join(dir, 'tracking', 'segments')).length;
    const ctx = { os: { name: 'iOS', version: '17.4' }, app: { version: '3.0.1' }, device: { id: 'dev-42', model: 'iPhone15,2' }, screen: { width: 1179, height: 2556 }, locale: 'de-DE', location: { country: 'Germany' } };
    const r = await send('/v1/batch', {
      batch: [
        { type: 'track', messageId: 'm-1', anonymousId: 'a-1', event: 'Level Up', properties: { level: 4, vip: true }, timestamp: now(), context: ctx },
        { type: 'track', messageId: 'm-2', event: 'No One', timestamp: now() },
        { type: 'login', messageId: 'm-3', userId: 'u', timestamp: now() },
        { type: 'track', messageId: 'm-4', userId: 'u', event: 'Big', properties: { blob: { text: 'x'.repeat(300) } }, timestamp: now() },
        { type: 'screen', messageId: 'm-5', userId: 'u', name: 'Home', timestamp: now() },
        { type: 'track', messageId: 'm-6', userId: 'u', event: 'Late', timestamp: 'not a time' },
      ],
      sentAt: new Date().toISOString(),
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.accepted, 2);
    assert.deepEqual(r.json.rejected.map((x: { index: number; code: string }) => [x.index, x.code]), [[1, 'EVT_MISSING_FIELD'], [2, 'EVT_UNKNOWN_TYPE'], [3, 'EVT_BAD_PROPS'], [5, 'EVT_BAD_VALUE']]);
    const stored = storedEvents(join(dir, 'tracking', 'segments')).slice(before);
    assert.equal(stored.length, 2);
    const [level, screen] = stored as Record<string, Json>[];
    // The device is context.device.id; the context fills what fits Sluice's patterns ('Germany' is no ISO country).
    assert.deepEqual(
      { id: level!.event_id, device: level!.device_id, app: level!.app_id, type: level!.type, name: level!.name, props: level!.props, platform: level!.platform, os: level!.os_version, ver: level!.app_version, screen: level!.screen, locale: level!.locale, country: level!.country },
      { id: 'm-1', device: 'dev-42', app: 'app_one', type: 'custom', name: 'Level Up', props: { level: 4, vip: 'true' }, platform: 'ios', os: '17.4', ver: '3.0.1', screen: '1179x2556', locale: 'de-DE', country: undefined },
    );
    assert.equal(level!.seq, undefined, 'Segment messages carry no seq');
    assert.deepEqual([screen!.type, screen!.name, screen!.props, screen!.device_id, screen!.user_id], ['custom', 'screen', { name: 'Home' }, 'u', 'u']);
  });

  it('maps the lifecycle events onto app_open and app_background, and a single-message route onto its type', async () => {
    const before = storedEvents(join(dir, 'tracking', 'segments')).length;
    for (const event of ['Application Opened', 'Application Backgrounded']) assert.equal((await send('/v1/track', { messageId: `life-${event}`, userId: 'u9', event, timestamp: now() })).json.accepted, 1);
    assert.equal((await send('/v1/identify', { messageId: 'id-1', userId: 'u9', traits: { email: 'x@example.com' }, timestamp: now() })).json.accepted, 1);
    const stored = storedEvents(join(dir, 'tracking', 'segments')).slice(before) as Record<string, Json>[];
    assert.deepEqual(stored.map((e) => [e.type, e.name ?? null]), [['app_open', null], ['app_background', null], ['custom', 'identify']]);
    assert.equal(JSON.stringify(stored[2]).includes('example.com'), false, 'traits are not kept');
  });

  it('refuses a message without a messageId, and a property named like an Object.prototype member, as the native route would', async () => {
    const r = await send('/v1/batch', {
      batch: [
        { type: 'track', userId: 'u', event: 'No Id', timestamp: now() },
        { type: 'track', messageId: 'p-1', userId: 'u', event: 'Proto', properties: JSON.parse('{"__proto__": {"x": 1}, "ok": 1}'), timestamp: now() },
        { type: 'track', messageId: 'p-2', userId: 'u', event: 'Fine', timestamp: now() },
      ],
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.rejected.map((x: { index: number; code: string; field: string }) => [x.index, x.code]), [[0, 'EVT_MISSING_FIELD'], [1, 'EVT_RESERVED_NAME']]);
    assert.equal(r.json.rejected[0].field, 'messageId');
    const empty = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: auth('wk_1') });
    assert.equal(empty.status, 400);
    assert.equal(((await empty.json()) as { code: string }).code, 'TRK_ERR_BAD_BODY');
  });

  it('answers 400 TRK_ERR_NO_VALID_EVENTS with every reason when no message is valid, and stores nothing', async () => {
    const before = storedEvents(join(dir, 'tracking', 'segments')).length;
    const r = await send('/v1/batch', { batch: [{ type: 'track', event: 'x' }, 7] });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'TRK_ERR_NO_VALID_EVENTS');
    assert.deepEqual(r.json.details.rejected.map((x: { index: number; code: string }) => [x.index, x.code]), [[0, 'EVT_MISSING_FIELD'], [1, 'EVT_NOT_OBJECT']]);
    const bad = await send('/v1/batch', '{"batch": [');
    assert.equal(bad.json.code, 'TRK_ERR_BAD_JSON');
    const shape = await send('/v1/batch', { messages: [] });
    assert.equal(shape.json.code, 'TRK_ERR_BAD_BODY');
    assert.equal(storedEvents(join(dir, 'tracking', 'segments')).length, before);
  });
});
