import { DAY_MS } from '../common/time.js';
import type { World } from '../sdk-mock/world.js';
import { demoFunnels } from '../sdk-mock/demo-funnels.js';
import type { ReportStore } from '../store/store.js';
import { demoPriceOf, type DemoPrice } from '../sdk-mock/demo-prices.js';

const SIZES = ['320x50', '300x250', '320x480'];

/**
 * Puts a simulated world into the report store: publishers, apps with their SDK keys, slots,
 * advertisers, and for each campaign one line item (even pacing, no targeting) with its
 * creatives, creative N sized like slot N. Flights cover `from` to `to`; each line item aims at
 * `goal` impressions, at the demo's prices (sdk-mock/demo-prices.ts) with a budget a quarter above
 * what the goal costs (a flat fee's budget is its price), in whole currency units.
 */
export async function seedWorld(store: ReportStore, world: World, from: number, to: number, goal = 20_000): Promise<void> {
  for (const p of world.publishers) if (!(await store.getPublisher(p.publisher_id))) await store.createPublisher({ id: p.publisher_id, name: p.name });
  for (const a of world.apps) {
    if (await store.getApp(a.app_id)) continue;
    await store.createApp({ id: a.app_id, publisher_id: a.publisher_id, name: a.name, platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await store.setAppKey(a.app_id, a.app_key);
    for (const s of a.slots) await store.createSlot({ id: s.slot_id, app_id: a.app_id, name: s.slot_id, size: s.size });
  }
  // One demo funnel per app (the ground truth counts the same ones).
  for (const f of demoFunnels(world)) if (!(await store.getFunnel(f.id))) await store.createFunnel(f);
  for (const a of world.advertisers) if (!(await store.getAdvertiser(a.advertiser_id))) await store.createAdvertiser({ id: a.advertiser_id, name: a.name });
  for (const c of world.campaigns) {
    if (await store.getCampaign(c.campaign_id)) continue;
    const price = demoPriceOf(c.campaign_id);
    await store.createCampaign({
      id: c.campaign_id, advertiser_id: c.advertiser_id, name: c.name, start_at: from, end_at: to + DAY_MS, status: 'active',
      budget_micros: budgetFor(price, goal), currency: price.currency, priority: 5, exclusion_labels: [],
    });
    const li = `${c.campaign_id}_li`;
    await store.createLineItem({
      id: li, campaign_id: c.campaign_id, name: `${c.name} line`, start_at: from, end_at: to + DAY_MS, status: 'active', goal_type: 'impressions', goal,
      delivery: 'even', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, price_model: price.price_model, price_micros: price.price_micros, slot_ids: [],
    });
    for (const [i, cr] of c.creatives.entries()) {
      await store.createCreative({ id: cr, line_item_id: li, name: cr, kind: 'image', size: SIZES[i % SIZES.length] ?? '320x50', payload: `https://cdn.example.com/${cr}.png`, click_url: `https://example.com/${c.campaign_id}`, weight: 1 });
    }
  }
}

/** A quarter above what `goal` impressions cost (clicks at a 4 % rate), whole units; a flat fee's budget is its price. */
function budgetFor(p: DemoPrice, goal: number): number {
  if (p.price_model === 'flat') return p.price_micros;
  const cost = p.price_model === 'cpm' ? (goal * p.price_micros) / 1000 : goal * 0.04 * p.price_micros;
  return Math.ceil((cost * 1.25) / 1_000_000) * 1_000_000;
}
