/**
 * The report reads the reporting UI makes: summed over many apps (a tenant's) or campaigns,
 * from the rollups (agg_app_hour_total, agg_app_dim_daily) so a 30-day range reads a few
 * thousand rows, not millions. `hour` is the start of a UTC hour (epoch ms); days are UTC.
 */
import type { ReportDimension } from './migrations.js';

export interface HourTotals {
  hour: number;
  events: number;
  sessions: number;
  session_ms: number;
  app_open: number;
  ad_request: number;
  ad_impression: number;
  ad_click: number;
  custom: number;
}

export interface DayDevices {
  app_id: string;
  day: string;
  platform: string;
  events: number;
  devices: number;
  devices_hll: string;
  seq_gaps: number;
  duplicates: number;
}

/** Event counts of one group of rows (a dimension value, an hour, a day). */
export interface EventTotals {
  events: number;
  sessions: number;
  session_ms: number;
  ad_impression: number;
  ad_click: number;
  custom: number;
}

export interface DimensionTotals extends EventTotals {
  value: string;
}

export interface CustomTotals {
  key: string;
  count: number;
}

export type CampaignGroup = 'hour' | 'day' | 'campaign_id' | 'line_item_id' | 'creative_id' | 'slot_id' | 'platform' | 'country' | 'app_id';
export const CAMPAIGN_GROUPS: readonly CampaignGroup[] = ['hour', 'day', 'campaign_id', 'line_item_id', 'creative_id', 'slot_id', 'platform', 'country', 'app_id'];

export interface CampaignTotals {
  key: string;
  requests: number;
  impressions: number;
  clicks: number;
  interactions: number;
}

export interface LineItemHour {
  line_item_id: string;
  hour: number;
  impressions: number;
  clicks: number;
}

export interface ReportQueries {
  /** Totals per hour over the apps, hours in [fromHour, toHour]. */
  hourTotals(appIds: readonly string[], fromHour: number, toHour: number): Promise<HourTotals[]>;
  /** agg_app_daily rows (devices, sketch, gaps, duplicates) of the apps, days in [fromDay, toDay]. */
  dayDevices(appIds: readonly string[], fromDay: string, toDay: string): Promise<DayDevices[]>;
  /** Totals per value of one dimension over the apps and hours in [fromHour, toHour], most events first. */
  dimensionTotals(appIds: readonly string[], dim: ReportDimension, fromHour: number, toHour: number): Promise<DimensionTotals[]>;
  /** Custom events: counts per name; with a name, per prop key; with both, per value. */
  customTotals(appIds: readonly string[], fromDay: string, toDay: string, name?: string, prop?: string): Promise<CustomTotals[]>;
  /** Ad events grouped by one column, over apps and/or campaigns (at least one list), hours in [fromHour, toHour]. */
  campaignTotals(filter: { appIds?: readonly string[]; campaignIds?: readonly string[] }, by: CampaignGroup, fromHour: number, toHour: number): Promise<CampaignTotals[]>;
  /** Impressions and clicks per line item and hour of one campaign, hours in [fromHour, toHour]. */
  lineItemHours(campaignId: string, fromHour: number, toHour: number): Promise<LineItemHour[]>;
  /** The last hour with facts, per app (for ingest lag). */
  latestHours(appIds: readonly string[]): Promise<Map<string, number>>;
}
