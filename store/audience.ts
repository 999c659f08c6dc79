/**
 * The audience tables (migration 8): per app and UTC day the devices active, the devices first
 * seen that day (its cohort) and how many of that cohort were active again on day +1, +7 and
 * +30; and per app, day and app_version the distinct devices. All counts exact integers.
 */

/** agg_audience_daily: one row per app x UTC day with any device active or first seen. */
export interface AudienceDayRow {
  app_id: string;
  day: string;
  /** Devices with events that day. */
  devices: number;
  /** Devices whose first day with events in the app is this day (the cohort). */
  new_devices: number;
  /** Of the cohort, devices with events on the day +1, +7 and +30 after. */
  d1: number;
  d7: number;
  d30: number;
}

/** agg_app_version_daily: distinct devices per app x UTC day x app_version. */
export interface AppVersionDailyRow {
  app_id: string;
  day: string;
  app_version: string;
  devices: number;
}

export interface AudienceStore {
  /** Replaces every audience row of one app (it is recomputed whole by each dedupe) in one transaction. */
  replaceAudience(appId: string, rows: readonly AudienceDayRow[]): Promise<void>;
  /** Replaces the app-version rows of one app for days in [fromDay, toDay] in one transaction. */
  replaceAppVersions(appId: string, fromDay: string, toDay: string, rows: readonly AppVersionDailyRow[]): Promise<void>;
  /** Audience rows of the app, days in [fromDay, toDay], by day. */
  audienceDays(appId: string, fromDay: string, toDay: string): Promise<AudienceDayRow[]>;
  /** The app's last day with an active device, or null (days +k after it are not known yet). */
  audienceLastDay(appId: string): Promise<string | null>;
  /** App-version rows of the app, days in [fromDay, toDay], by day then version. */
  appVersions(appId: string, fromDay: string, toDay: string): Promise<AppVersionDailyRow[]>;
}
