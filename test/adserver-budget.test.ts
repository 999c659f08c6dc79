import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../common/logger.js';
import { DAY_MS, HOUR_MS } from '../common/time.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { tmp } from './helpers/fleet.js';

/**
 * The budget stop over real HTTP: the ad server stops serving a campaign's line items once the
 * spend of what the jobs fed back (the delivery table) reaches the campaign's budget; a budget
 * of 0 is unlimited; raising the budget serves again.
 */
const now = Date.now();

describe('the ad server stops a campaign at its budget', () => {
  let store: SqliteStore;
  let ads: RunningAdServer;
  const ad = async (slot: string, device: string) => (await fetch(`${ads.url}/v1/ad?app=app_a&slot=${slot}&device=${device}&platform=ios&os=17&country=US&w=1179&h=2556`)).status;
  const hour = Math.floor(now / HOUR_MS) * HOUR_MS - HOUR_MS;

  before(async () => {
    store = new SqliteStore({ path: join(tmp('ads-budget'), 'sluice.db') });
    await store.migrate();
    await store.createPublisher({ id: 'pub_a', name: 'Pub A' });
    await store.createApp({ id: 'app_a', publisher_id: 'pub_a', name: 'App A', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await store.createAdvertiser({ id: 'adv_1', name: 'Adv 1' });
    // cmp_capped: 1.00 of budget at a 2.00 CPM (500 impressions); cmp_open: no budget (0), a 50.00 CPM; cmp_clicks: 3.00 at 0.75 a click.
    for (const [id, budget, model, price] of [['cmp_capped', 1_000_000, 'cpm', 2_000_000], ['cmp_open', 0, 'cpm', 50_000_000], ['cmp_clicks', 3_000_000, 'cpc', 750_000]] as const) {
      await store.createSlot({ id: `slot_${id}`, app_id: 'app_a', name: id, size: '320x50' });
      await store.createCampaign({ id, advertiser_id: 'adv_1', name: id, start_at: now - 2 * DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', budget_micros: budget, currency: 'USD', priority: 5, exclusion_labels: [] });
      await store.createLineItem({
        id: `li_${id}`, campaign_id: id, name: id, start_at: now - 2 * DAY_MS, end_at: now + 10 * DAY_MS, status: 'active', goal_type: 'impressions', goal: 100_000_000,
        delivery: 'asap', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, price_model: model, price_micros: price, slot_ids: [`slot_${id}`],
      });
      await store.createCreative({ id: `cr_${id}`, line_item_id: `li_${id}`, name: 'c', kind: 'image', size: '320x50', payload: `https://cdn/${id}.png`, click_url: `https://adv/${id}`, weight: 1 });
    }
    ads = await startAdServer(
      { host: '127.0.0.1', port: 0, trackingUrl: 'http://127.0.0.1:8081', beaconSecret: 'budget-test-secret', decisionTtlSeconds: 600, reloadIntervalMs: 60_000, planIntervalMs: 60_000, capMaxDevices: 10_000, maxAds: 5, prefetchMaxDays: 7 },
      store, createLogger('ads-budget', 'silent'),
    );
  });
  after(async () => {
    await ads?.close();
    await store?.close();
  });

  test('serves until the fed-back spend reaches the budget, then answers 204; a budget of 0 never stops', async () => {
    // 499 impressions at 2.00 CPM: 0.998 of 1.00; another 2 days back counts too (from the flight start).
    await store.upsertDelivery([
      { line_item_id: 'li_cmp_capped', hour: hour - DAY_MS, country: 'US', impressions: 300, clicks: 0 },
      { line_item_id: 'li_cmp_capped', hour, country: 'US', impressions: 199, clicks: 0 },
      { line_item_id: 'li_cmp_open', hour, country: 'US', impressions: 10_000_000, clicks: 0 },
    ]);
    await ads.replan();
    assert.equal(await ad('slot_cmp_capped', 'd1'), 200, 'under budget: serves');
    await store.upsertDelivery([{ line_item_id: 'li_cmp_capped', hour, country: 'US', impressions: 200, clicks: 0 }]);
    await ads.replan();
    assert.equal(await ad('slot_cmp_capped', 'd2'), 204, '500 impressions at 2.00 CPM spent the 1.00 budget');
    assert.equal(await ad('slot_cmp_open', 'd3'), 200, 'a budget of 0 is unlimited');
    const m = await (await fetch(`${ads.url}/metrics`)).text();
    assert.match(m, /sluice_adserver_campaigns_over_budget 1/);
  });

  test('a cpc campaign stops at its budget from the fed-back clicks', async () => {
    await store.upsertDelivery([{ line_item_id: 'li_cmp_clicks', hour, country: 'US', impressions: 1000, clicks: 3 }]);
    await ads.replan();
    assert.equal(await ad('slot_cmp_clicks', 'd4'), 200, '2.25 of 3.00');
    await store.upsertDelivery([{ line_item_id: 'li_cmp_clicks', hour, country: 'US', impressions: 1000, clicks: 4 }]);
    await ads.replan();
    assert.equal(await ad('slot_cmp_clicks', 'd5'), 204, '3.00 of 3.00');
  });

  test('raising the budget serves the campaign again after the next reload', async () => {
    await store.updateCampaign('cmp_capped', { budget_micros: 2_000_000 });
    await ads.reload();
    await ads.replan();
    assert.equal(await ad('slot_cmp_capped', 'd6'), 200);
  });
});
