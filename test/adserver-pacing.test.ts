import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CampaignIndex, type PacingRegistry } from '../adserver/campaign-index.js';
import { DecisionStats, book, decide, type AdRequest } from '../adserver/decide.js';
import { FrequencyCaps } from '../adserver/frequency-caps.js';
import { planAll } from '../adserver/pacing.js';
import type { CampaignSnapshot, LineItem } from '../store/model.js';
import { Rng } from '../sdk-mock/rng.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../common/time.js';

const T0 = Date.UTC(2026, 10, 2);
const HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 5, 5, 6, 5, 5, 5, 6, 7, 9, 10, 10, 8, 5, 3];

function lineItem(id: string, goal: number, targeting: string, delivery: LineItem['delivery']): LineItem {
  return {
    id, campaign_id: `cmp_${id}`, name: id, start_at: T0, end_at: T0 + DAY_MS, status: 'active', goal_type: 'impressions', goal, delivery,
    country_split: null, targeting, cap_count: 3, cap_window_ms: DAY_MS, price_model: 'cpm', price_micros: 2_000_000, slot_ids: [],
  };
}

function snapshot(items: LineItem[]): CampaignSnapshot {
  return {
    revision: 1,
    apps: [{ id: 'app_1', publisher_id: 'pub_1', name: 'A', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' }],
    slots: [{ id: 'slot_1', app_id: 'app_1', name: 'banner', size: '320x50' }],
    advertisers: [{ id: 'adv_1', name: 'Adv' }],
    campaigns: items.map((li) => ({ id: li.campaign_id, advertiser_id: 'adv_1', name: li.name, start_at: T0, end_at: T0 + DAY_MS, status: 'active' as const, budget_micros: 0, currency: 'USD', priority: 5, exclusion_labels: [] })),
    line_items: items,
    creatives: items.map((li) => ({ id: `cr_${li.id}`, line_item_id: li.id, name: 'c', kind: 'image' as const, size: '320x50', payload: 'https://cdn/x.png', click_url: 'https://adv/x', weight: 1 })),
  };
}

test('a simulated day delivers each even line item within 5% of its goal, never exceeds a frequency cap, and keeps a frontloaded item ahead at mid-flight', (t) => {
  const items = [
    lineItem('even_ios', 30_000, 'platform == "ios"', 'even'),
    lineItem('even_na', 20_000, 'country in ("US","CA")', 'even'),
    lineItem('even_all', 40_000, '', 'even'),
    lineItem('front', 25_000, 'os_version >= "14"', 'frontloaded'),
  ];
  const pacing: PacingRegistry = new Map();
  const ix = CampaignIndex.build(snapshot(items), pacing);
  assert.deepEqual(ix.skipped, []);
  const entry = ix.slots.get('slot_1')!;
  const caps = new FrequencyCaps(1_000_000);
  const stats = new DecisionStats();
  stats.resize(ix.lineItems.length);
  const rng = new Rng(99);
  const rand = () => rng.next();
  const devices = Array.from({ length: 60_000 }, (_, i) => ({
    id: `dev-${i}`,
    platform: rng.chance(0.45) ? 'ios' : 'android',
    country: rng.chance(0.4) ? 'US' : rng.chance(0.17) ? 'CA' : 'DE',
    os: rng.chance(0.8) ? '16.2' : '12.1',
  }));
  const shown = new Map<string, number>();
  const totalRequests = 420_000;
  const hourSum = HOURS.reduce((a, b) => a + b, 0);
  let lastPlan = T0;
  planAll(pacing.values(), T0, 0, MINUTE_MS);
  let midFront = -1;
  for (let h = 0; h < 24; h++) {
    const n = Math.round((totalRequests * HOURS[h]!) / hourSum);
    for (let k = 0; k < n; k++) {
      const now = T0 + h * HOUR_MS + Math.floor((k / n) * HOUR_MS);
      if (now - lastPlan >= MINUTE_MS) {
        planAll(pacing.values(), now, now - lastPlan, MINUTE_MS);
        lastPlan = now;
      }
      if (midFront < 0 && now >= T0 + DAY_MS / 2) midFront = pacing.get('front')!.delivered;
      const d = devices[rng.int(devices.length)]!;
      const req: AdRequest = { app: 'app_1', slot: 'slot_1', device: d.id, n: 1, ctx: { platform: d.platform, os_version: d.os, app_version: '1.0', device_model: 'x', screen_w: 1080, screen_h: 2400, country: d.country, region: '', kv: {}, hour: h, weekday: 'mon' } };
      const picks = decide(ix, entry, req, caps, stats, now, rand);
      book(picks, d.id, caps, now, now + HOUR_MS);
      for (const p of picks) {
        const key = `${d.id}|${p.cand.lineItemId}`;
        shown.set(key, (shown.get(key) ?? 0) + 1);
      }
    }
  }
  const report = items.map((li) => `${li.id}: ${pacing.get(li.id)!.delivered}/${li.goal}`).join(', ');
  t.diagnostic(`delivered ${report}; frontloaded at mid-flight ${midFront}/${items[3]!.goal}`);
  for (const li of items.slice(0, 3)) {
    const got = pacing.get(li.id)!.delivered;
    assert.ok(Math.abs(got - li.goal) <= 0.05 * li.goal, `${li.id} delivered ${got} of ${li.goal}`);
  }
  assert.ok(Math.max(...shown.values()) <= 3, 'no device saw a line item more than its cap of 3 a day');
  assert.ok(midFront >= 0.6 * items[3]!.goal, `frontloaded item at mid-flight: ${midFront} of ${items[3]!.goal}`);
  assert.ok(pacing.get('front')!.delivered >= 0.95 * items[3]!.goal);
});
