/**
 * Test fixtures for the fact tables: row builders with every column set (counts derived from a
 * seed so that rows differ), and a whole app-day of facts in one call. Used by the fact
 * conformance suite and free for any tier's tests.
 */
import { DAY_MS, utcDay } from '../../common/time.js';
import { H, T0 } from './fixtures.js';
import type { AppDailyRow, AppDayFacts, AppHourlyRow, AttributionRow, CampaignHourlyRow, CustomDailyRow, EventCounts, TouchRow } from '../../store/facts.js';

export const D0 = utcDay(T0);
export const D1 = utcDay(T0 + DAY_MS);
export const D2 = utcDay(T0 + 2 * DAY_MS);
/** Midnight (epoch ms) of a YYYY-MM-DD day. */
export const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`);

function counts(seed: number): EventCounts {
  return {
    events: 100 * seed, app_open: seed, app_close: seed, app_background: 2 * seed, app_foreground: 2 * seed, ad_request: 10 * seed,
    ad_impression: 8 * seed, ad_click: seed, ad_interaction: 0, custom: 3 * seed, sessions: seed + 1, session_ms: 60_000 * seed,
  };
}

export const hourly = (app_id: string, hour: number, seed: number, over: Partial<AppHourlyRow> = {}): AppHourlyRow => ({
  app_id, hour, day: utcDay(hour), platform: 'ios', os_version: '17.4', app_version: '2.1.0', country: 'US', device_class: 'phone',
  ...counts(seed), devices: seed + 2, ...over,
});

export const daily = (app_id: string, day: string, seed: number, over: Partial<AppDailyRow> = {}): AppDailyRow => ({
  app_id, day, platform: 'ios', ...counts(seed), devices: 5 * seed, devices_hll: Buffer.alloc(64, seed).toString('base64'), seq_gaps: seed % 3,
  duplicates: 7 * seed, ...over,
});

export const campaignRow = (app_id: string, hour: number, seed: number, over: Partial<CampaignHourlyRow> = {}): CampaignHourlyRow => ({
  app_id, hour, day: utcDay(hour), campaign_id: 'cmp_1', line_item_id: 'li_1', creative_id: 'cr_1', slot_id: 'slt_1', platform: 'ios',
  country: 'US', requests: 10 * seed, impressions: 8 * seed, clicks: seed, interactions: seed % 2, ...over,
});

export const customRow = (app_id: string, day: string, name: string, prop: string, value: string, count: number): CustomDailyRow => ({
  app_id, day, name, prop, value, count,
});

export const touch = (app_id: string, device_id: string, ts: number, ord: number, over: Partial<TouchRow> = {}): TouchRow => ({
  app_id, day: utcDay(ts), device_id, ts, kind: 'click', campaign_id: 'cmp_1', creative_id: 'cr_1', ord, ...over,
});

export const attributionRow = (app_id: string, day: string, campaign_id: string, conversions: number, over: Partial<AttributionRow> = {}): AttributionRow => ({
  app_id, day, campaign_id, creative_id: 'cr_1', model: 'last_touch', conversions, ...over,
});

/**
 * One app-day: hours 0, 1 and 5 (hour 1 in two dimension rows), two daily platforms, campaign
 * rows in two line items and one ad without a line item, custom counts and touches; `seed`
 * scales every number. Rows are in key order, as the store reads them back.
 */
export function appDay(app: string, day: string, seed = 1): AppDayFacts {
  const t = dayStart(day);
  return {
    hourly: [
      hourly(app, t, seed),
      hourly(app, t + H, seed + 1, { country: 'CA' }),
      hourly(app, t + H, seed + 2, { country: 'US' }),
      hourly(app, t + 5 * H, seed + 3, { platform: 'android', os_version: '14', device_class: 'tablet', country: '' }),
    ],
    daily: [daily(app, day, seed, { platform: 'android' }), daily(app, day, seed + 1)],
    campaign: [
      campaignRow(app, t, seed, { line_item_id: '', creative_id: '', slot_id: '' }),
      campaignRow(app, t, seed + 2, { country: 'CA' }),
      campaignRow(app, t, seed + 1),
      campaignRow(app, t + H, seed + 3, { campaign_id: 'cmp_2', line_item_id: 'li_2', creative_id: 'cr_2' }),
    ],
    custom: [
      // As the jobs write them: a '' prop row per event counts the name, then a row per prop.
      customRow(app, day, 'level_up', '', '', 4 * seed),
      customRow(app, day, 'level_up', 'level', '10', 3 * seed),
      customRow(app, day, 'level_up', 'level', '9', seed),
      customRow(app, day, 'level_up', 'mode', 'hard', seed),
      customRow(app, day, 'purchase', '', '', 2 * seed),
      customRow(app, day, 'purchase', 'sku', 'gem_pack', 2 * seed),
    ],
    touches: [
      touch(app, 'dev_a', t + 10, 0),
      touch(app, 'dev_a', t + 10, 1, { kind: 'conversion', campaign_id: '', creative_id: '' }),
      touch(app, 'dev_b', t + 5, 0, { campaign_id: 'cmp_2', creative_id: 'cr_2' }),
    ],
  };
}
