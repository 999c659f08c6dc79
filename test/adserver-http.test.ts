import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import uWS from 'uWebSockets.js';
import { verifyDecision } from '../common/decision-token.js';
import { createLogger } from '../common/logger.js';
import { DAY_MS } from '../common/time.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import { tmp } from './helpers/fleet.js';
import type { Json } from './helpers/json.js';

const SECRET = 'test-secret-for-the-ad-server';
const now = Date.now();

async function get(url: string): Promise<{ status: number; json: Json }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

describe('the ad server over HTTP', () => {
  let store: ReportStore;
  let ads: RunningAdServer;
  let base = '';
  const q = (params: Record<string, string | number>) => `${base}/v1/ad?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string]))}`;
  const ios = { app: 'app_a', slot: 'slot_banner', platform: 'ios', os: '17.2', country: 'US', w: 1179, h: 2556 };

  before(async () => {
    store = new SqliteStore({ path: join(tmp('ads'), 'sluice.db') });
    await store.migrate();
    await store.createPublisher({ id: 'pub_a', name: 'Pub A' });
    await store.createApp({ id: 'app_a', publisher_id: 'pub_a', name: 'App A', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await store.createSlot({ id: 'slot_banner', app_id: 'app_a', name: 'banner', size: '320x50' });
    await store.createAdvertiser({ id: 'adv_1', name: 'Adv 1' });
    for (const [id, labels] of [['cmp_cola', ['soda']], ['cmp_soda2', ['soda']], ['cmp_shoes', []]] as const) {
      await store.createCampaign({ id, advertiser_id: 'adv_1', name: id, start_at: now - DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', budget_micros: 0, priority: 5, exclusion_labels: [...labels] });
      await store.createLineItem({
        id: `li_${id}`, campaign_id: id, name: id, start_at: now - DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', goal_type: 'impressions', goal: 1_000_000,
        delivery: 'asap', country_split: null, targeting: 'platform == "ios" and os_version >= "16"', cap_count: 2, cap_window_ms: DAY_MS, cpm_micros: 1_000_000, slot_ids: [],
      });
      await store.createCreative({ id: `cr_${id}`, line_item_id: `li_${id}`, name: 'c', kind: 'image', size: '320x50', payload: `https://cdn/${id}.png`, click_url: `https://adv/${id}`, weight: 1 });
    }
    ads = await startAdServer(
      { host: '127.0.0.1', port: 0, trackingUrl: 'http://127.0.0.1:8081', beaconSecret: SECRET, decisionTtlSeconds: 600, reloadIntervalMs: 100, planIntervalMs: 60_000, capMaxDevices: 10_000, maxAds: 5, prefetchMaxDays: 7 },
      store, createLogger('ads-test', 'silent'),
    );
    base = ads.url;
  });
  after(async () => {
    await ads.close();
    await store.close();
  });

  test('runs on the native uWebSockets.js binary, not its JavaScript fallback', () => {
    assert.match(Function.prototype.toString.call(uWS.App), /\[native code\]/);
  });

  test('answers a matching request with a creative and signed beacon URLs on the tracking tier', async () => {
    const r = await get(q({ ...ios, device: 'dev-1' }));
    assert.equal(r.status, 200);
    assert.equal(typeof r.json.decision_id, 'string');
    assert.equal(r.json.ttl_seconds, 600);
    const [ad] = r.json.ads;
    assert.ok(['cr_cmp_cola', 'cr_cmp_soda2', 'cr_cmp_shoes'].includes(ad.creative_id));
    assert.equal(ad.size, '320x50');
    const imp = new URL(ad.impression_url);
    assert.equal(imp.origin + imp.pathname, 'http://127.0.0.1:8081/v1/b/imp');
    const v = verifyDecision(imp.searchParams.get('t')!, SECRET);
    assert.ok(v.ok && v.decision.d === r.json.decision_id && v.decision.creative === ad.creative_id && v.decision.device === 'dev-1');
    assert.equal(verifyDecision(imp.searchParams.get('t')!, 'another-secret-altogether').ok, false);
  });

  test('answers 204 when targeting matches nothing, and counts why per line item', async () => {
    assert.equal((await get(q({ ...ios, platform: 'android', device: 'dev-2' }))).status, 204);
    const m = await (await fetch(`${base}/metrics`)).text();
    assert.match(m, /sluice_adserver_not_served_total\{line_item="li_cmp_cola",reason="targeting"\} [1-9]/);
    assert.match(m, /sluice_adserver_requests_total\{route="ad",outcome="no_fill"\} [1-9]/);
  });

  test('answers 400 with the reason for missing or invalid parameters, and 204 for an unknown slot', async () => {
    const r = await get(`${base}/v1/ad?app=app_a&device=d`);
    assert.equal(r.status, 400);
    assert.equal(r.json.code, 'ADS_ERR_BAD_REQUEST');
    assert.match(r.json.message, /slot/);
    assert.equal((await get(q({ ...ios, device: 'd', w: 'wide' }))).status, 400);
    assert.equal((await get(q({ ...ios, device: 'd', slot: 'nope' }))).status, 204);
    const m = await (await fetch(`${base}/metrics`)).text();
    assert.match(m, /outcome="unknown_slot"\} [1-9]/);
    assert.match(m, /sluice_adserver_slot_cache_hit_ratio /);
  });

  test('keeps two ads that share an exclusion label or campaign out of one answer', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await get(q({ ...ios, device: `excl-${i}`, n: 3 }));
      const ids = r.json.ads.map((a: { campaign_id: string }) => a.campaign_id);
      assert.equal(ids.length, 2, `two ads (the soda ones exclude each other): ${ids}`);
      assert.ok(ids.includes('cmp_shoes'));
    }
  });

  test('stops serving a device once its frequency caps are used up', async () => {
    let served = 0;
    for (let i = 0; i < 10; i++) if ((await get(q({ ...ios, device: 'capped-dev' }))).status === 200) served++;
    assert.equal(served, 6, 'three line items capped at 2 a day each');
  });

  test('prefetches one ad per coming day with its validity', async () => {
    const r = await get(`${base}/v1/ads/prefetch?app=app_a&slot=slot_banner&device=pre-1&platform=ios&os=17&days=3`);
    assert.equal(r.status, 200);
    assert.equal(r.json.ads.length, 3);
    for (const [i, ad] of r.json.ads.entries()) assert.ok(ad.valid_until - ad.valid_from === DAY_MS && ad.valid_from >= now + i * DAY_MS - 60_000);
  });

  test('picks up a campaign change within 5 seconds without a restart', async () => {
    await store.createSlot({ id: 'slot_big', app_id: 'app_a', name: 'interstitial', size: '320x480' });
    await store.createCampaign({ id: 'cmp_new', advertiser_id: 'adv_1', name: 'new', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', budget_micros: 0, priority: 5, exclusion_labels: [] });
    await store.createLineItem({ id: 'li_new', campaign_id: 'cmp_new', name: 'new', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', goal_type: 'impressions', goal: 100, delivery: 'asap', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, cpm_micros: 0, slot_ids: [] });
    await store.createCreative({ id: 'cr_new', line_item_id: 'li_new', name: 'big', kind: 'html', size: '320x480', payload: '<b>hi</b>', click_url: 'https://x/y', weight: 1 });
    const t0 = Date.now();
    let r = await get(q({ ...ios, slot: 'slot_big', device: 'new-1' }));
    while (r.status !== 200 && Date.now() - t0 < 5000) {
      await ads.reload();
      r = await get(q({ ...ios, slot: 'slot_big', device: 'new-1' }));
    }
    assert.equal(r.status, 200, 'served within 5 s');
    assert.equal(r.json.ads[0].creative_id, 'cr_new');
  });

  test('keeps serving from memory when the store goes away', async () => {
    await store.close();
    assert.equal(await ads.reload(), false);
    const r = await get(q({ ...ios, device: 'after-outage' }));
    assert.equal(r.status, 200);
    const h = await get(`${base}/healthz`);
    assert.equal(h.json.store, 'down');
  });
});
