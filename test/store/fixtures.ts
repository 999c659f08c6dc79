/**
 * Test fixtures for the report store: a whole campaign tree in one call, entity builders with
 * sensible values, and an assertion on StoreError codes. Used by the conformance suite and
 * free for any tier's tests.
 */
import assert from 'node:assert/strict';
import { StoreError } from '../../store/errors.js';
import type { Campaign, Creative, LineItem } from '../../store/model.js';
import type { New, ReportStore } from '../../store/store.js';

export const H = 3_600_000;
export const T0 = Date.UTC(2026, 0, 1);

/** Resolves when `p` rejects with a StoreError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: string, status?: number): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (status !== undefined) assert.equal(err.statusCode, status);
    return true;
  });
}

export const campaign = (advertiser_id: string, over: Partial<Campaign> = {}): New<Campaign> => ({
  advertiser_id, name: 'Spring sale', start_at: T0, end_at: T0 + 30 * 24 * H, status: 'active', budget_micros: 5_000_000_000, currency: 'EUR',
  priority: 5, exclusion_labels: ['auto', 'finance'], ...over,
});
export const lineItem = (campaign_id: string, over: Partial<LineItem> = {}): New<LineItem> => ({
  campaign_id, name: 'US banners', start_at: T0, end_at: T0 + 7 * 24 * H, status: 'active', goal_type: 'impressions', goal: 100_000,
  delivery: 'even', country_split: { US: 0.6, CA: 0.4 }, targeting: "platform = 'ios' and country in ('US', 'CA')", cap_count: 3,
  cap_window_ms: 24 * H, price_model: 'cpm', price_micros: 2_500_000, slot_ids: ['slt_a', 'slt_b'], ...over,
});
export const creative = (line_item_id: string, over: Partial<Creative> = {}): New<Creative> => ({
  line_item_id, name: 'Banner A', kind: 'image', size: '320x50', payload: 'https://cdn.example/a.png', click_url: 'https://example.com/?a=1&b=2',
  weight: 1.5, ...over,
});

/** A publisher, app, slot, advertiser, campaign, line item and creative. */
export async function tree(s: ReportStore, tag = '') {
  const pub = await s.createPublisher({ name: `Publisher${tag}` });
  const app = await s.createApp({ publisher_id: pub.id, name: `App${tag}`, platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
  const slot = await s.createSlot({ app_id: app.id, name: `Banner${tag}`, size: '320x50' });
  const adv = await s.createAdvertiser({ name: `Advertiser${tag}` });
  const cmp = await s.createCampaign(campaign(adv.id));
  const li = await s.createLineItem(lineItem(cmp.id, { slot_ids: [slot.id] }));
  const cr = await s.createCreative(creative(li.id));
  return { pub, app, slot, adv, cmp, li, cr };
}
