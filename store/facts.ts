/**
 * The aggregate ("fact") tables the batch jobs load and the reports read, and the job
 * bookkeeping (runs, locks). All timestamps are UTC epoch ms; `hour` is the start of a UTC
 * hour, `day` is 'YYYY-MM-DD' (UTC). Unknown dimension values are '' (never NULL), so they
 * can sit in primary keys.
 *
 * Loads are idempotent by construction: `replaceAppDay` deletes every fact row of one
 * (app, day) and inserts the new ones in ONE transaction, so a re-run for the same input
 * leaves the same numbers and a load killed half-way leaves the old rows.
 */

/** The nine event types, in the order of the per-type count columns. */
export const EVENT_TYPE_COLUMNS = [
  'app_open', 'app_close', 'app_background', 'app_foreground', 'ad_request', 'ad_impression', 'ad_click', 'ad_interaction', 'custom',
] as const;

/** Events by type, total, sessions (counted in the hour/day their first event falls in) and session time. */
export interface EventCounts {
  events: number;
  app_open: number;
  app_close: number;
  app_background: number;
  app_foreground: number;
  ad_request: number;
  ad_impression: number;
  ad_click: number;
  ad_interaction: number;
  custom: number;
  sessions: number;
  session_ms: number;
}

/** agg_app_hourly: one row per app x hour x platform x os_version x app_version x country x device_class. */
export interface AppHourlyRow extends EventCounts {
  app_id: string;
  hour: number;
  day: string;
  platform: string;
  os_version: string;
  app_version: string;
  country: string;
  device_class: string;
  /** Exact distinct devices in this hour and these dimensions. */
  devices: number;
}

/** agg_app_daily: the daily rollup per app x day x platform. */
export interface AppDailyRow extends EventCounts {
  app_id: string;
  day: string;
  platform: string;
  /** Exact distinct devices that day. */
  devices: number;
  /** HyperLogLog of the day's devices (base64), mergeable across days for WAU/MAU. */
  devices_hll: string;
  /** Events known lost on devices: holes in the per-device seq, counted on the day of the event after the hole. */
  seq_gaps: number;
  /** Duplicate events removed from this app-day's input. */
  duplicates: number;
}

/** agg_campaign_hourly: ad events per app x hour x campaign x line item x creative x slot x platform x country. */
export interface CampaignHourlyRow {
  app_id: string;
  hour: number;
  day: string;
  campaign_id: string;
  line_item_id: string;
  creative_id: string;
  slot_id: string;
  platform: string;
  country: string;
  requests: number;
  impressions: number;
  clicks: number;
  interactions: number;
}

/** agg_custom_daily: custom events per app x day x name x prop key x value. */
export interface CustomDailyRow {
  app_id: string;
  day: string;
  name: string;
  prop: string;
  value: string;
  count: number;
}

/** touches: the ad clicks and conversions of one app-day, per device, that attribution reads. */
export interface TouchRow {
  app_id: string;
  day: string;
  device_id: string;
  ts: number;
  kind: 'click' | 'conversion';
  /** '' for conversions. */
  campaign_id: string;
  creative_id: string;
  /** Ordinal within (app_id, day, device_id), so two touches at one ms stay distinct. */
  ord: number;
}

/** agg_attribution_daily: conversions credited per app x day (of the conversion) x campaign x creative. */
export interface AttributionRow {
  app_id: string;
  day: string;
  campaign_id: string;
  creative_id: string;
  model: string;
  conversions: number;
}

/** One entry of the restatement log: an hour of an app whose number changed after it was first loaded. */
export interface RestatementRow {
  run_id: string;
  app_id: string;
  hour: number;
  /** 'events', 'sessions', 'session_ms' or 'devices'. */
  metric: string;
  old_value: number;
  new_value: number;
  at: number;
}

/**
 * Rows a tier could not store, set aside in the lake's `quarantine/` (one lake object per
 * segment frame or app-day load) and listed in data health: one entry per lake object, app,
 * day and reason.
 */
export interface QuarantineRow {
  /** The lake object that holds the rows, each with its reason in words. */
  lake_key: string;
  /** The tier that set them aside: 'pipeline' or 'jobs'. */
  source: string;
  /** '' when the rows have no app id the store can hold. */
  app_id: string;
  /** UTC day YYYY-MM-DD of the rows, '' when unknown. */
  day: string;
  /** A stable code, e.g. lone_surrogate, too_long, bad_app_id. */
  reason: string;
  row_count: number;
  /** The first problem, in words (at most 1,000 characters). */
  detail: string;
  at: number;
}

export interface AppDayFacts {
  hourly: AppHourlyRow[];
  daily: AppDailyRow[];
  campaign: CampaignHourlyRow[];
  custom: CustomDailyRow[];
  touches: TouchRow[];
}

export interface JobRun {
  id: string;
  workflow: string;
  partition_key: string;
  status: 'running' | 'succeeded' | 'failed';
  started_at: number;
  finished_at: number | null;
  row_count: number | null;
  error: string | null;
}

/** The part of the report store the jobs and the reports use for aggregates. */
export interface FactStore {
  /**
   * Replaces every fact row (hourly, daily, campaign, custom, touches) of one (app, day) in one
   * transaction. Before deleting, compares the old hourly sums (events, sessions, session_ms,
   * devices per hour) with the new ones: every hour whose value changed, when the app-day had
   * rows before, becomes a restatement row (recorded in the same transaction and returned).
   */
  replaceAppDay(appId: string, day: string, facts: AppDayFacts, runId: string, at: number): Promise<RestatementRow[]>;
  /** Replaces the attribution rows of one app for days in [fromDay, toDay], in one transaction. */
  replaceAttribution(appId: string, fromDay: string, toDay: string, rows: readonly AttributionRow[]): Promise<void>;
  /** Touches of one app for days in [fromDay, toDay], ordered by device_id, ts, ord. */
  touches(appId: string, fromDay: string, toDay: string): Promise<TouchRow[]>;
  /** Recomputes the `delivery` rows (impressions, clicks per line item x hour x country) for hours in [fromHour, toHour] from agg_campaign_hourly. */
  refreshDelivery(fromHour: number, toHour: number): Promise<void>;

  appHourly(appId: string, fromHour: number, toHour: number): Promise<AppHourlyRow[]>;
  appDaily(appId: string, fromDay: string, toDay: string): Promise<AppDailyRow[]>;
  campaignHourly(filter: { app_id?: string; campaign_id?: string; fromHour: number; toHour: number }): Promise<CampaignHourlyRow[]>;
  customDaily(appId: string, fromDay: string, toDay: string): Promise<CustomDailyRow[]>;
  attribution(appId: string, fromDay: string, toDay: string): Promise<AttributionRow[]>;
  restatements(filter: { app_id?: string; since?: number; limit?: number }): Promise<RestatementRow[]>;
  /** Records quarantined rows (a second record of the same lake key, app, day and reason replaces the first). */
  recordQuarantine(rows: readonly QuarantineRow[]): Promise<void>;
  /** Newest first (`at` descending); `since` bounds `at` (inclusive); `limit` defaults to 1,000. */
  quarantined(filter: { app_id?: string; since?: number; limit?: number }): Promise<QuarantineRow[]>;

  /** Records a run as 'running' and answers its id. */
  startJobRun(workflow: string, partitionKey: string, at: number): Promise<string>;
  finishJobRun(id: string, status: 'succeeded' | 'failed', at: number, rowCount: number | null, error: string | null): Promise<void>;
  /** Newest first. */
  listJobRuns(filter: { workflow?: string; limit?: number }): Promise<JobRun[]>;
  /** Takes the lock when free or expired (or already ours: extends it); answers whether we hold it now. */
  acquireJobLock(partitionKey: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Extends the lock only while its row is still ours (never takes or re-creates it); answers whether it was. */
  renewJobLock(partitionKey: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lock up if we hold it. */
  releaseJobLock(partitionKey: string, owner: string): Promise<void>;
  /** Who holds (or last held, when expired and not released) the lock, and until when; undefined when free. */
  jobLockHolder(partitionKey: string): Promise<{ owner: string; expires_at: number } | undefined>;
}
