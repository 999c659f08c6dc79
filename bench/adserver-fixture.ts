import { DAY_MS } from '../common/time.js';
import type { CampaignSnapshot, Creative, LineItem } from '../store/model.js';
import { Rng } from '../sdk-mock/rng.js';

const SIZES = ['320x50', '300x250', '320x480'];
const TARGETING = [
  '',
  'platform == "ios"',
  'platform == "android" and os_version >= "12"',
  'country in ("US","CA","GB")',
  'platform == "ios" and os_version >= "16" and country in ("US","CA")',
  'screen_w >= 1080 and country != "CN"',
  'kv.genre == "puzzle" or country in ("DE","FR")',
  'hour in 6..23',
];

/** A synthetic campaign model of the given size: apps x slots, campaigns, line items, creatives. */
export function adFixture(lineItems = 10_000, slots = 1_000, seed = 7, now = Date.now()): CampaignSnapshot {
  const rng = new Rng(seed);
  const appCount = Math.max(1, Math.ceil(slots / 10));
  const apps = Array.from({ length: appCount }, (_, i) => ({ id: `app_${i}`, publisher_id: `pub_${i % 25}`, name: `App ${i}`, platform: 'both' as const, attribution_lookback_days: 7, attribution_model: 'last_touch' as const }));
  const slotList = Array.from({ length: slots }, (_, i) => ({ id: `slot_${i}`, app_id: `app_${i % appCount}`, name: `slot ${i}`, size: SIZES[i % 3]! }));
  const campaignCount = Math.max(1, Math.ceil(lineItems / 5));
  const campaigns = Array.from({ length: campaignCount }, (_, i) => ({
    id: `cmp_${i}`, advertiser_id: `adv_${i % 200}`, name: `Campaign ${i}`, start_at: now - 2 * DAY_MS, end_at: now + 30 * DAY_MS, status: 'active' as const,
    budget_micros: 0, currency: 'USD', priority: [10, 5, 5, 5, 1][i % 5]!, exclusion_labels: i % 7 === 0 ? ['auto'] : i % 11 === 0 ? ['telco'] : [],
  }));
  const items: LineItem[] = [];
  const creatives: Creative[] = [];
  for (let i = 0; i < lineItems; i++) {
    const size = SIZES[rng.int(3)]!;
    const fitting = slotList.filter((_, k) => k % 3 === SIZES.indexOf(size));
    items.push({
      id: `li_${i}`, campaign_id: `cmp_${i % campaignCount}`, name: `Line ${i}`, start_at: now - 2 * DAY_MS, end_at: now + 30 * DAY_MS, status: 'active',
      goal_type: 'impressions', goal: 1_000_000 + rng.int(5_000_000), delivery: (['even', 'even', 'frontloaded', 'asap'] as const)[rng.int(4)]!,
      country_split: null, targeting: TARGETING[rng.int(TARGETING.length)]!, cap_count: rng.chance(0.5) ? 3 : 0, cap_window_ms: DAY_MS,
      price_model: 'cpm', price_micros: 1_000_000 + rng.int(5_000_000), slot_ids: Array.from({ length: 10 }, () => fitting[rng.int(fitting.length)]!.id),
    });
    for (let c = 0; c < 1 + rng.int(2); c++) {
      creatives.push({ id: `cr_${i}_${c}`, line_item_id: `li_${i}`, name: `Creative ${c}`, kind: 'image', size, payload: `https://cdn.example.com/c/${i}/${c}.png`, click_url: `https://adv.example.com/landing?li=${i}&c=${c}`, weight: 1 + rng.int(3) });
    }
  }
  return { revision: 1, apps, slots: slotList, advertisers: Array.from({ length: 200 }, (_, i) => ({ id: `adv_${i}`, name: `Advertiser ${i}` })), campaigns, line_items: items, creatives };
}
