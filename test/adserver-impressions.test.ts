import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pendingUntil } from '../common/decision-token.js';
import { createLogger } from '../common/logger.js';
import { DAY_MS } from '../common/time.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import type { RunningTracking } from '../tracking/run.js';
import { tmp } from './helpers/fleet.js';
import { startTestTracking } from './helpers/tracking.js';

const SECRET = 'impressions-test-secret';
const GOAL = 10;

describe('impressions, not decisions, count toward goals', () => {
  let store: ReportStore;
  let tracking: RunningTracking;
  let ads: RunningAdServer;
  const now = Date.now();

  before(async () => {
    const dir = tmp('ads-imp');
    store = new SqliteStore({ path: join(dir, 'sluice.db') });
    await store.migrate();
    await store.createPublisher({ id: 'pub_i', name: 'Pub' });
    await store.createApp({ id: 'app_i', publisher_id: 'pub_i', name: 'App', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await store.createSlot({ id: 'slot_i', app_id: 'app_i', name: 'banner', size: '320x50' });
    await store.createAdvertiser({ id: 'adv_i', name: 'Adv' });
    await store.createCampaign({ id: 'cmp_i', advertiser_id: 'adv_i', name: 'c', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', budget_micros: 0, priority: 5, exclusion_labels: [] });
    await store.createLineItem({
      id: 'li_i', campaign_id: 'cmp_i', name: 'li', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', goal_type: 'impressions', goal: GOAL,
      delivery: 'asap', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, price_model: 'cpm', price_micros: 1_000_000, slot_ids: [],
    });
    await store.createCreative({ id: 'cr_i', line_item_id: 'li_i', name: 'c', kind: 'image', size: '320x50', payload: 'https://cdn/x.png', click_url: 'https://adv/x', weight: 1 });
    tracking = await startTestTracking({ beaconSecret: SECRET, impressionFlushMs: 60_000, appKeysFromStore: false }, undefined, store);
    // Tokens valid 2 s (the CLI takes 10 s at least; the test wants expiry soon). Plans only when the test asks.
    ads = await startAdServer(
      { host: '127.0.0.1', port: 0, trackingUrl: tracking.url, beaconSecret: SECRET, decisionTtlSeconds: 2, reloadIntervalMs: 60_000, planIntervalMs: 600_000, capMaxDevices: 10_000, maxAds: 5, prefetchMaxDays: 7 },
      store, createLogger('ads-imp', 'silent'),
    );
  });
  after(async () => {
    await ads.close();
    await tracking.close();
    await store.close();
  });

  const ask = async (i: number): Promise<{ url: string; exp: number } | null> => {
    const res = await fetch(`${ads.url}/v1/ad?app=app_i&slot=slot_i&device=d${i}&platform=ios`);
    if (res.status === 204) return null;
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ads: { impression_url: string }[] };
    return { url: body.ads[0]!.impression_url, exp: Date.now() + 2000 };
  };

  test('a decision is pending until its impression beacon or its expiry: unrendered ones free the goal again, rendered ones keep it', async () => {
    const served = [];
    for (let i = 0; i < GOAL + 3; i++) {
      const a = await ask(i);
      if (a) served.push(a);
    }
    assert.equal(served.length, GOAL, 'the goal holds while every decision is pending');
    // Four devices render their ad; six never do.
    for (const a of served.slice(0, 4)) assert.equal((await fetch(a.url)).status, 204);
    await tracking.flushImpressions();
    await ads.replan();
    assert.equal(await ask(100), null, 'four impressions and six pending decisions still make the goal');
    assert.equal((await store.fleetDelivery(0, Date.now())).impressions.get('li_i')?.impressions, 4);

    // Once the six tokens expire they stop counting: six more ads can serve, no more.
    const expired = Math.max(...served.map((a) => pendingUntil(a.exp - 2000, a.exp)));
    await new Promise((r) => setTimeout(r, expired - Date.now() + 50));
    await tracking.flushImpressions();
    await ads.replan();
    const again = [];
    for (let i = 200; i < 210; i++) {
      const a = await ask(i);
      if (a) again.push(a);
    }
    assert.equal(again.length, GOAL - 4);
    for (const a of again) assert.equal((await fetch(a.url)).status, 204);
    await tracking.flushImpressions();
    await ads.replan();
    assert.equal(await ask(300), null, 'ten impressions: the goal is met');
    const f = await store.fleetDelivery(0, Date.now());
    assert.equal(f.impressions.get('li_i')?.impressions, GOAL);
    assert.equal(f.units.get('li_i')?.decided, 16, 'every decision the node made is on record');
  });
});
