/**
 * The report store's entities, as every tier sees them. Timestamps are UTC epoch ms; money is
 * in micros of the campaign currency (integers); ids are strings chosen by the store.
 */

export interface Publisher {
  id: string;
  name: string;
  /** The publisher's share of the spend on its apps, basis points (7000 = 70 %). */
  rev_share_bps: number;
}

export interface App {
  id: string;
  publisher_id: string;
  name: string;
  platform: 'ios' | 'android' | 'both';
  /** Attribution: lookback window and model chosen by the publisher. */
  attribution_lookback_days: number;
  attribution_model: 'last_touch' | 'linear' | 'time_decay';
}

export interface Slot {
  id: string;
  app_id: string;
  name: string;
  /** WxH in points, e.g. "320x50". */
  size: string;
}

export interface Advertiser {
  id: string;
  name: string;
}

export type DeliveryMode = 'even' | 'frontloaded' | 'asap';
type GoalType = 'impressions' | 'clicks';
type PriceModel = 'cpm' | 'cpc' | 'flat';

export interface Campaign {
  id: string;
  advertiser_id: string;
  name: string;
  /** Flight, ms. */
  start_at: number;
  end_at: number;
  status: 'active' | 'paused' | 'archived';
  /** Budget in micros of `currency`; 0 = none (unlimited). The ad server stops the campaign once its spend reaches it. */
  budget_micros: number;
  /** ISO 4217 code of the campaign's money (budget and its line items' prices), e.g. "USD". */
  currency: string;
  /** Higher tiers are served first (e.g. 10 sponsorship, 5 standard, 1 house). */
  priority: number;
  /** Competitive exclusion labels: two ads sharing one never appear in one answer. */
  exclusion_labels: string[];
}

export interface LineItem {
  id: string;
  campaign_id: string;
  name: string;
  start_at: number;
  end_at: number;
  status: 'active' | 'paused' | 'archived';
  goal_type: GoalType;
  goal: number;
  delivery: DeliveryMode;
  /** Optional split of the goal by country, e.g. { "US": 0.6, "CA": 0.4 }; null for none. */
  country_split: Record<string, number> | null;
  /** Targeting expression source; '' matches everything. */
  targeting: string;
  /** Per-device frequency cap: at most cap_count impressions per cap_window_ms; 0 = none. */
  cap_count: number;
  cap_window_ms: number;
  /** How the line item is priced: per thousand impressions, per click, or a flat fee over its flight. */
  price_model: PriceModel;
  /** The price in micros of the campaign's currency (per 1000 impressions, per click, or the flat fee). */
  price_micros: number;
  /** Slots it may serve in; empty = every slot whose size fits a creative. */
  slot_ids: string[];
}

/** `video`: the payload is JSON naming the media file and its length (common/video-payload.ts); served as VAST on /v1/vast. */
export const CREATIVE_KINDS = ['image', 'html', 'mraid', 'video'] as const;
type CreativeKind = (typeof CREATIVE_KINDS)[number];

export interface Creative {
  id: string;
  line_item_id: string;
  name: string;
  kind: CreativeKind;
  /** WxH, must equal the slot's size to serve there. */
  size: string;
  /** Image URL, HTML or MRAID markup. */
  payload: string;
  click_url: string;
  weight: number;
}

/** Delivered counts fed back by the batch jobs, per line item and UTC hour. */
export interface Delivery {
  line_item_id: string;
  hour: number;
  country: string;
  impressions: number;
  clicks: number;
}

/** Everything the ad server needs, read in one go. */
export interface CampaignSnapshot {
  /** Monotonic revision of the campaign model; changes whenever anything in it changes. */
  revision: number;
  apps: App[];
  slots: Slot[];
  advertisers: Advertiser[];
  campaigns: Campaign[];
  line_items: LineItem[];
  creatives: Creative[];
}
