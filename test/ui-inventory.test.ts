import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../common/logger.js';
import { DAY_MS } from '../common/time.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { startUiFixture, type UiFixture } from './helpers/ui.js';
import type { Json } from './helpers/json.js';

/**
 * Inventory: requests, fills and fill rate per slot and day from the store, and the real ad
 * server's per-slot no-fill reasons (its /metrics over loopback, scraped into the UI's
 * monitor), for an admin and for publishers who see only their own apps' slots.
 */

describe('the inventory report', () => {
  let fx: UiFixture;
  let ads: RunningAdServer;
  const cookies: Record<string, string> = {};
  const get = async (who: string, url: string, status = 200): Promise<Json> => {
    const res = await fetch(fx.url + url, { headers: { cookie: cookies[who]! } });
    const body = (await res.json()) as Json;
    assert.equal(res.status, status, `${who} ${url}: ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };
  const ad = (slot: string, app: string, device: string, platform: string) =>
    fetch(`${ads.url}/v1/ad?${new URLSearchParams({ app, slot, device, platform, os: '17.2', country: 'US', w: '1179', h: '2556' })}`).then(async (r) => (await r.text(), r.status));

  before(async () => {
    fx = await startUiFixture({ metricsUrls: 'adserver=' });
    for (const who of ['admin', 'pubA', 'pubB', 'advX'] as const) cookies[who] = await fx.login(fx.world.users[who].email);
    const now = Date.now();
    // One line item on slot_a1 for iOS only, capped at one ad per device and day.
    await fx.store.createLineItem({ id: 'li_inv', campaign_id: 'cmp_x', name: 'inventory', start_at: now - DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', goal_type: 'impressions', goal: 1_000_000, delivery: 'asap', country_split: null, targeting: 'platform == "ios"', cap_count: 1, cap_window_ms: DAY_MS, cpm_micros: 1_000_000, slot_ids: ['slot_a1'] });
    await fx.store.createCreative({ id: 'cr_inv', line_item_id: 'li_inv', name: 'banner', kind: 'image', size: '320x50', payload: 'https://cdn.example/a.png', click_url: 'https://adv.example/', weight: 1 });
    ads = await startAdServer({ host: '127.0.0.1', port: 0, trackingUrl: 'http://127.0.0.1:1', beaconSecret: 'inventory-test-secret', decisionTtlSeconds: 600, reloadIntervalMs: 60_000, planIntervalMs: 60_000, capMaxDevices: 10_000, maxAds: 5, prefetchMaxDays: 7 }, fx.store, createLogger('ads', 'silent'));
    assert.equal(await ad('slot_a1', 'app_a1', 'dev-1', 'ios'), 200, 'served once');
    for (let i = 0; i < 2; i++) assert.equal(await ad('slot_a1', 'app_a1', 'dev-1', 'ios'), 204, 'then capped');
    for (let i = 0; i < 3; i++) assert.equal(await ad('slot_a1', 'app_a1', `dev-a${i}`, 'android'), 204, 'off target');
    for (let i = 0; i < 4; i++) assert.equal(await ad('slot_b1', 'app_b1', `dev-b${i}`, 'ios'), 204, 'no line item on the slot');
    fx.ui.monitor.ingest('adserver', await (await fetch(`${ads.url}/metrics`)).text(), Date.now());
  });
  after(async () => {
    await ads?.close();
    await fx?.close();
  });

  test("the ad server counts each slot's unfilled requests by the furthest Json line item got", async () => {
    const text = await (await fetch(`${ads.url}/metrics`)).text();
    assert.match(text, /^sluice_adserver_no_fill_total\{slot="slot_a1",reason="capped"\} 2$/m);
    assert.match(text, /^sluice_adserver_no_fill_total\{slot="slot_a1",reason="targeting"\} 3$/m);
    assert.match(text, /^sluice_adserver_no_fill_total\{slot="slot_b1",reason="no_line_items"\} 4$/m);
    assert.doesNotMatch(text, /no_fill_total\{slot="slot_a1",reason="no_line_items"\}/);
  });

  test('an admin sees every slot: requests and fills per slot and day equal the store, with the fill rate', async () => {
    const d = await get('admin', `/api/inventory?from=${fx.world.days[0]}&to=${fx.world.days[2]}`);
    for (const app of ['app_a1', 'app_a2', 'app_b1']) {
      const facts = await fx.store.campaignHourly({ app_id: app, fromHour: Date.parse(`${fx.world.days[0]}T00:00:00Z`), toHour: Date.parse(`${fx.world.days[2]}T23:00:00Z`) });
      const want = new Map<string, [number, number]>();
      for (const f of facts) {
        const k = `${f.day}|${f.slot_id}`;
        const w = want.get(k) ?? [0, 0];
        want.set(k, [w[0] + f.requests, w[1] + f.impressions]);
      }
      const got = new Map((d.days as Json[]).filter((r) => r.app_id === app).map((r) => [`${r.day}|${r.slot_id}`, [r.requests, r.impressions]]));
      assert.deepEqual(got, want, app);
    }
    const a1 = (d.slots as Json[]).find((s) => s.app_id === 'app_a1' && s.slot_id === 'slot_a1')!;
    assert.ok(a1.requests > 0 && a1.impressions > 0);
    assert.equal(a1.slot, 'banner');
    assert.equal(a1.fill_rate_pct, Math.round((a1.impressions / a1.requests) * 1e4) / 100);
    assert.deepEqual((d.no_fill as Json[]).map((x) => [x.slot_id, x.reason, x.count]), [['slot_b1', 'no_line_items', 4], ['slot_a1', 'targeting', 3], ['slot_a1', 'capped', 2]]);
    assert.match(d.no_fill_source, /adserver/);
  });

  test("a publisher sees only its own apps' slots and their no-fill reasons; others are refused", async () => {
    const a = await get('pubA', '/api/inventory');
    assert.ok((a.slots as Json[]).length > 0 && (a.slots as Json[]).every((s) => s.app_id === 'app_a1' || s.app_id === 'app_a2'));
    assert.deepEqual((a.no_fill as Json[]).map((x) => x.slot_id), ['slot_a1', 'slot_a1']);
    const b = await get('pubB', '/api/inventory');
    assert.ok((b.slots as Json[]).every((s) => s.app_id === 'app_b1'));
    assert.deepEqual((b.no_fill as Json[]).map((x) => [x.slot_id, x.reason]), [['slot_b1', 'no_line_items']]);
    assert.equal((await get('pubA', '/api/inventory?app=app_b1', 404)).code, 'UI_ERR_NOT_FOUND');
    assert.equal((await get('advX', '/api/inventory', 403)).code, 'UI_ERR_FORBIDDEN');
  });
});
