import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DeviceContextSchema } from '../common/event-schema.js';
import * as token from '../common/decision-token.js';
import { createLogger } from '../common/logger.js';
import { DAY_MS } from '../common/time.js';
import { startAdServer, type AdStore, type RunningAdServer } from '../adserver/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import { tmp } from './helpers/fleet.js';
import { startTestTracking } from './helpers/tracking.js';
import type { Json } from './helpers/json.js';

const SECRET = 'test-secret-for-ad-server-security';
const now = Date.now();
const enc = encodeURIComponent;

// The longest ids every field allows, in their widest percent-encoding: store ids are 64 of
// [A-Za-z0-9_.:-] (':' encodes to 3 characters), a device id 128 UTF-16 units ('€' encodes to 9).
const APP = ':'.repeat(64);
const SLOT_FIT = `${':'.repeat(63)}a`;
const SLOT_EDGE = `${':'.repeat(63)}b`;
const SLOT_LONG = `${':'.repeat(63)}c`;
const DEVICE_MAX = '€'.repeat(128);
const id = (tag: string) => `${':'.repeat(62)}${tag}`;

/**
 * Tracking drops a token over 4,096 characters. The widest head the ad server can sign:
 * decision id (a UUID, '.NN' for n > 1), app and slot (3 x 64 each), device (9 x 128),
 * issued and expiry times (13 digits each), 6 commas; after the tail, a comma and 22 signature characters.
 */
const WIDEST_HEAD = 39 + 192 + 192 + 1152 + 13 + 13 + 6;
const tailOf = (cmp: string, cr: string, li: string, url: string) => `${enc(cmp)},${enc(cr)},${enc(li)},${enc(url)}`;
/** A click URL whose widest token is exactly `4096 + over` characters. */
function clickUrl(cmp: string, cr: string, li: string, over: number): string {
  const base = 'https://adv.example/landing?x=';
  const k = 4096 + over - WIDEST_HEAD - 23 - tailOf(cmp, cr, li, base).length;
  return base + 'a'.repeat(k);
}

async function get(url: string): Promise<{ status: number; json: Json; text: string }> {
  const res = await fetch(url, { redirect: 'manual' }).catch((err: Error) => {
    throw new Error(`GET ${url.slice(0, 80)}: ${err.message} (${String((err.cause as Error | undefined)?.message)})`);
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** A sample's value from Prometheus text: `name` or `name{a="x"}` (other labels, such as tier, may follow). */
function metric(text: string, sample: string): number {
  const [name, labels = ''] = sample.replace(/}$/, '').split('{');
  const want = labels ? labels.split(',') : [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);
    if (m && m[1] === name && want.every((l) => (m[2] ?? '').split(',').includes(l))) return Number(m[3]);
  }
  return NaN;
}

/** One request with the path exactly as written (fetch would normalise '..' and the case of nothing else). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.setEncoding('utf8').on('data', (c: string) => (data += c)).on('error', reject);
    sock.on('close', () => resolve({ status: Number(data.split(' ')[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
  });
}

/** Resolves as `p`, or rejects if it takes longer than `ms` (so a hang fails the test instead of stalling it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** A real store whose reads can be frozen (they wait, as on a stopped database server) or made to fail. */
class FreezableStore implements AdStore {
  mode: 'ok' | 'frozen' | 'failing' = 'ok';
  private waiting: (() => void)[] = [];
  constructor(private readonly inner: ReportStore) {}
  private async gate(): Promise<void> {
    if (this.mode === 'frozen') await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.mode === 'failing') throw new Error('connect ECONNREFUSED 127.0.0.1:3306');
  }
  thaw(): void {
    this.mode = 'ok';
    for (const w of this.waiting.splice(0)) w();
  }
  async campaignRevision() { await this.gate(); return this.inner.campaignRevision(); }
  async loadCampaignSnapshot() { await this.gate(); return this.inner.loadCampaignSnapshot(); }
  async deliveredByLineItem(since: number) { await this.gate(); return this.inner.deliveredByLineItem(since); }
  async getSlot(slotId: string) { await this.gate(); return this.inner.getSlot(slotId); }
}

describe('ad server security', () => {
  let store: ReportStore;
  let trk: Awaited<ReturnType<typeof startTestTracking>>;
  let ads: RunningAdServer;
  let base = '';
  const q = (params: Record<string, string | number>) => `${base}/v1/ad?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string]))}`;
  const fit = { app: APP, slot: SLOT_FIT, platform: 'ios', os: '17.2' };

  before(async () => {
    store = new SqliteStore({ path: join(tmp('ads-sec'), 'sluice.db') });
    await store.migrate();
    await store.createPublisher({ id: 'pub_a', name: 'Pub A' });
    await store.createApp({ id: APP, publisher_id: 'pub_a', name: 'App A', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await store.createAdvertiser({ id: 'adv_1', name: 'Adv 1' });
    // One slot, campaign, line item and creative per case; each creative's size fits only its slot.
    for (const [slot, size, tag, over] of [[SLOT_FIT, '320x50', 'f', 0], [SLOT_EDGE, '728x90', 'e', 1], [SLOT_LONG, '300x250', 'l', 10]] as const) {
      const cmp = id(`c${tag}`);
      const li = id(`l${tag}`);
      const cr = id(`r${tag}`);
      await store.createSlot({ id: slot, app_id: APP, name: slot, size });
      await store.createCampaign({ id: cmp, advertiser_id: 'adv_1', name: cmp, start_at: now - DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', budget_micros: 0, priority: 5, exclusion_labels: [] });
      await store.createLineItem({
        id: li, campaign_id: cmp, name: li, start_at: now - DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', goal_type: 'impressions', goal: 1_000_000,
        delivery: 'asap', country_split: null, targeting: '', cap_count: 1000, cap_window_ms: DAY_MS, cpm_micros: 1_000_000, slot_ids: [],
      });
      await store.createCreative({ id: cr, line_item_id: li, name: 'c', kind: 'image', size, payload: 'https://cdn/x.png', click_url: clickUrl(cmp, cr, li, over), weight: 1 });
    }
    trk = await startTestTracking({ beaconSecret: SECRET });
    ads = await startAdServer(
      // 0.125 MB of frequency-cap memory: the byte bound, not the device count, must hold.
      { host: '127.0.0.1', port: 0, trackingUrl: trk.url, beaconSecret: SECRET, decisionTtlSeconds: 600, reloadIntervalMs: 100, planIntervalMs: 60_000, capMaxDevices: 100_000, capMaxMb: 0.125, maxAds: 5, prefetchMaxDays: 7 },
      store, createLogger('ads-sec-test', 'silent'),
    );
    base = ads.url;
  });
  after(async () => {
    await ads.close();
    await trk.close();
    await store.close();
  });

  test('the ad server bounds device and app ids where the event schema of tracking does', () => {
    const schema = DeviceContextSchema.properties as Record<string, { maxLength?: number }>;
    const limits = token as unknown as Record<string, number | undefined>;
    assert.deepEqual([limits.DEVICE_ID_MAX_CHARS, limits.ID_MAX_CHARS], [schema.device_id!.maxLength, schema.app_id!.maxLength]);
    assert.deepEqual([limits.DEVICE_ID_MAX_CHARS, limits.ID_MAX_CHARS], [DEVICE_MAX.length, APP.length]);
  });

  test('refuses a device id over 128 characters with 400 ADS_ERR_FIELD_TOO_LONG (414 past the query limit) and does not remember it', async () => {
    const before = metric(await (await fetch(`${base}/metrics`)).text(), 'sluice_adserver_frequency_cap_devices');
    // 3,000 characters made beacon tokens tracking drops; 100,000 filled the cap memory.
    const r = await get(q({ ...fit, device: 'x'.repeat(3000) }));
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'ADS_ERR_FIELD_TOO_LONG');
    assert.match(r.json.message, /device must be at most 128 characters, got 3000/);
    assert.ok(r.text.length < 300, 'the answer does not echo the id');
    // uWebSockets.js closes the connection itself when so long a head comes in more than one read.
    const huge = await get(q({ ...fit, device: 'x'.repeat(100_000) })).catch((err: Error) => ({ status: 0, json: null, text: err.message }));
    assert.ok((huge.status === 414 && huge.json?.code === 'ADS_ERR_QUERY_TOO_LONG') || /ECONNRESET|closed|socket/i.test(huge.text), `${huge.status} ${huge.text.slice(0, 200)}`);
    assert.equal((await get(q({ ...fit, device: 'y'.repeat(129) }))).json?.code, 'ADS_ERR_FIELD_TOO_LONG');
    assert.equal((await get(q({ ...fit, device: 'y'.repeat(128) }))).status, 200);
    const after = metric(await (await fetch(`${base}/metrics`)).text(), 'sluice_adserver_frequency_cap_devices');
    assert.equal(after, before + 1, 'only the 128-character device was remembered');
    const prefetch = await get(`${base}/v1/ads/prefetch?app=${enc(APP)}&slot=${enc(SLOT_FIT)}&device=${'z'.repeat(1000)}`);
    assert.deepEqual([prefetch.status, prefetch.json?.code], [400, 'ADS_ERR_FIELD_TOO_LONG']);
  });

  test('bounds the other string parameters and the custom key-values', async () => {
    const d = { ...fit, device: 'dev-bounds' };
    const overs: Record<string, string>[] = [{ app: 'a'.repeat(65) }, { slot: 's'.repeat(65) }, { os: '1'.repeat(33) }, { app_version: '1'.repeat(33) }, { model: 'm'.repeat(65) }, { region: 'r'.repeat(65) }, { genre: 'g'.repeat(257) }, { ['k'.repeat(65)]: 'v' }];
    for (const over of overs) {
      const r = await get(q({ ...d, ...over }));
      assert.deepEqual([r.status, r.json?.code], [400, 'ADS_ERR_FIELD_TOO_LONG'], JSON.stringify(Object.keys(over)));
    }
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const r = await get(q({ ...d, ...many }));
    assert.deepEqual([r.status, r.json?.code], [400, 'ADS_ERR_BAD_REQUEST']);
    assert.match(r.json.message, /64 custom key-values/);
    assert.equal((await get(q({ ...d, genre: 'g'.repeat(256), os: '1'.repeat(32) }))).status, 200);
  });

  test('answers 414 ADS_ERR_QUERY_TOO_LONG, with that status, for a query string over 4,096 characters', async () => {
    const r = await get(q({ ...fit, device: 'd', pad: 'p'.repeat(4000) }));
    assert.deepEqual([r.status, r.json?.code], [414, 'ADS_ERR_QUERY_TOO_LONG']);
    const m = await (await fetch(`${base}/metrics`)).text();
    assert.ok(metric(m, 'sluice_adserver_requests_total{route="ad",outcome="bad_request"}') >= 1);
  });

  test('a beacon made from the longest ids of every field is accepted by tracking', async () => {
    const r = await get(q({ ...fit, device: DEVICE_MAX }));
    assert.equal(r.status, 200);
    const [ad] = r.json.ads;
    const token = new URL(ad.impression_url).searchParams.get('t')!;
    assert.ok(token.length > 4000 && token.length <= 4096, `token of ${token.length} characters, close to tracking's limit`);
    assert.equal((await get(ad.impression_url)).status, 204);
    const clk = await get(ad.click_beacon_url);
    assert.equal(clk.status, 302);
    const m = await (await fetch(`${trk.url}/metrics`)).text();
    assert.equal(metric(m, 'sluice_tracking_beacons_total{kind="impression",outcome="accepted"}'), 1);
    assert.equal(metric(m, 'sluice_tracking_beacons_total{kind="click",outcome="accepted"}'), 1);
  });

  test('leaves out a creative whose click URL would make beacon tokens tracking drops', async () => {
    // Its tokens would be 4,097 characters for the widest request and over 4,096 for this one.
    for (const slot of [SLOT_EDGE, SLOT_LONG]) assert.equal((await get(q({ ...fit, slot, device: DEVICE_MAX }))).status, 204, slot);
    const skipped = ads.state.index.skipped.map((s) => s.why).join('\n');
    assert.match(skipped, /click URL too long for a beacon token/);
    const m = await (await fetch(`${trk.url}/metrics`)).text();
    assert.ok(!(metric(m, 'sluice_tracking_beacons_total{kind="impression",outcome="malformed"}') > 0));
  });

  test('bounds frequency-cap memory in bytes and reports its size on /metrics', async () => {
    for (let i = 0; i < 600; i += 12) {
      await Promise.all(Array.from({ length: 12 }, (_, k) => get(q({ ...fit, device: `${String(i + k).padStart(6, '0')}${'d'.repeat(122)}` }))));
    }
    const m = await (await fetch(`${base}/metrics`)).text();
    const bytes = metric(m, 'sluice_adserver_frequency_cap_bytes');
    const devices = metric(m, 'sluice_adserver_frequency_cap_devices');
    assert.ok(bytes > 0 && bytes <= 0.125 * 1024 * 1024, `frequency_cap_bytes ${bytes}`);
    assert.ok(devices >= 100 && devices < 400, `${devices} devices remembered of 600 seen`);
  });

  test('decides nothing on the raw URL: disguised paths answer 404 from the catch-all route', async () => {
    const qs = new URLSearchParams({ app: APP, slot: SLOT_FIT, device: 'disguised' }).toString();
    for (const path of ['/v1/%61d', '/V1/AD', '/v1//ad', '/v1/x/../ad', '/v1/./ad', '/v1/ad%2f', '/%2fv1/ad', '/v1/ads/prefetch/', '/healthz/../v1/ad', '/v1/%76ast', '/V1/VAST', '/v1//vast', '/v1/vast/']) {
      const r = await rawGet(ads.port, `${path}?${qs}`);
      assert.equal(r.status, 404, path);
      assert.equal((JSON.parse(r.body) as { code: string }).code, 'ADS_ERR_NOT_FOUND', path);
    }
    assert.equal((await rawGet(ads.port, `/v1/ad?${qs}`)).status, 200, 'the same request on the real path is served');
  });
});

describe('ad server health while the store hangs', () => {
  let inner: ReportStore;
  let store: FreezableStore;
  let ads: RunningAdServer;
  before(async () => {
    inner = new SqliteStore({ path: join(tmp('ads-freeze'), 'sluice.db') });
    await inner.migrate();
    await inner.createPublisher({ id: 'pub_a', name: 'Pub A' });
    await inner.createApp({ id: 'app_a', publisher_id: 'pub_a', name: 'App A', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await inner.createSlot({ id: 'slot_a', app_id: 'app_a', name: 'banner', size: '320x50' });
    await inner.createAdvertiser({ id: 'adv_1', name: 'Adv 1' });
    await inner.createCampaign({ id: 'cmp_a', advertiser_id: 'adv_1', name: 'a', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', budget_micros: 0, priority: 5, exclusion_labels: [] });
    await inner.createLineItem({
      id: 'li_a', campaign_id: 'cmp_a', name: 'a', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', goal_type: 'impressions', goal: 1_000_000,
      delivery: 'asap', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, cpm_micros: 0, slot_ids: [],
    });
    await inner.createCreative({ id: 'cr_a', line_item_id: 'li_a', name: 'c', kind: 'image', size: '320x50', payload: 'https://cdn/a.png', click_url: 'https://adv/a', weight: 1 });
    store = new FreezableStore(inner);
    ads = await startAdServer(
      { host: '127.0.0.1', port: 0, trackingUrl: 'http://127.0.0.1:9', beaconSecret: SECRET, decisionTtlSeconds: 600, reloadIntervalMs: 50, planIntervalMs: 60_000, capMaxDevices: 10_000, maxAds: 1, prefetchMaxDays: 7, storeTimeoutMs: 200 },
      store, createLogger('ads-freeze-test', 'silent'),
    );
  });
  after(async () => {
    store.thaw();
    await ads.close();
    await inner.close();
  });

  /** Health after each of up to 5 refreshes (one already past the store when the mode changed may still succeed). */
  async function healthAfterReloads(want: number): Promise<Awaited<ReturnType<typeof get>>> {
    let h = await get(`${ads.url}/healthz`);
    for (let i = 0; i < 5 && h.status !== want; i++) {
      assert.equal(await within(ads.reload(), 3000, 'a refresh'), false);
      h = await get(`${ads.url}/healthz`);
    }
    return h;
  }

  test('answers 503 with store "down" while a refresh hangs past its timeout, serving from memory all along', async () => {
    const ad = `${ads.url}/v1/ad?app=app_a&slot=slot_a&device=d1`;
    const h0 = await get(`${ads.url}/healthz`);
    assert.deepEqual([h0.status, h0.json.store], [200, 'up']);
    store.mode = 'frozen';
    const h1 = await healthAfterReloads(503);
    assert.deepEqual([h1.status, h1.json.store], [503, 'down']);
    assert.ok(h1.json.refresh_hanging_ms >= 200, JSON.stringify(h1.json));
    assert.equal((await get(ad)).status, 200, 'still serving from memory');
    assert.equal((await get(`${ads.url}/livez`)).status, 200, 'live for a load balancer');
    const m = await (await fetch(`${ads.url}/metrics`)).text();
    assert.equal(metric(m, 'sluice_adserver_store_up'), 0);
    store.thaw();
    assert.equal(await within(ads.reload(), 3000, 'a refresh after the thaw'), false);
    const h2 = await get(`${ads.url}/healthz`);
    assert.deepEqual([h2.status, h2.json.store], [200, 'up']);
  });

  test('answers 503 with store "down" and the last error when refreshes fail', async () => {
    store.mode = 'failing';
    const h = await healthAfterReloads(503);
    assert.deepEqual([h.status, h.json.store], [503, 'down']);
    assert.match(h.json.last_error, /ECONNREFUSED/);
    assert.equal((await get(`${ads.url}/v1/ad?app=app_a&slot=slot_a&device=d2`)).status, 200);
    store.mode = 'ok';
    await within(ads.reload(), 3000, 'a refresh after recovery');
    assert.equal((await get(`${ads.url}/healthz`)).status, 200);
  });
});
