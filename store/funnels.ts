/**
 * Funnels over custom events and campaign reach: the definitions publishers make, and the
 * daily rows the jobs load beside an app-day's facts.
 *
 * A funnel is 2 to 6 ordered steps, each a custom event name. `agg_funnel_daily` holds, per
 * app, UTC day, funnel and step k (1-based), the devices that did step 1, then step 2 later,
 * ..., then step k, all within that UTC day (exact). `agg_campaign_reach_daily` holds, per
 * app, UTC day and campaign, the impressions and a HyperLogLog (common/hll.ts, base64) of the
 * devices that got at least one; `agg_campaign_reach_total` the same per campaign and day over
 * every app, which the reach report reads: the reach of any range is the merged sketch's estimate.
 *
 * The totals are kept in step by each app-day load: impressions exactly (the old app row out,
 * the new one in); the sketch by merging the new app row in, which is exact because an
 * app-day's devices only grow from one load to the next (events never leave the lake); when a
 * campaign's row leaves an app-day, its total is merged again from the apps' rows left.
 */

const FUNNEL_MIN_STEPS = 2;
export const FUNNEL_MAX_STEPS = 6;
/** Custom event names are at most this long (agg_custom_daily.name). */
export const FUNNEL_STEP_MAX = 128;
export const FUNNEL_NAME_MAX = 100;

export interface Funnel {
  id: string;
  app_id: string;
  name: string;
  /** Custom event names, in order. */
  steps: string[];
  created_at: number;
}

export interface FunnelDailyRow {
  app_id: string;
  day: string;
  funnel_id: string;
  /** 1-based step number. */
  step: number;
  devices: number;
}

export interface CampaignReachRow {
  app_id: string;
  day: string;
  campaign_id: string;
  impressions: number;
  /** HyperLogLog of the devices with an impression that day (base64). */
  devices_hll: string;
}

/** agg_campaign_reach_total: one campaign's reach over every app on one UTC day. */
export interface CampaignReachDay {
  campaign_id: string;
  day: string;
  impressions: number;
  devices_hll: string;
}

/** The funnel and reach part of the report store (store/funnel-sql.ts for both backends). */
export interface FunnelStore {
  /** STORE_ERR_INVALID on a bad name or steps or an unknown app; STORE_ERR_CONFLICT on a taken id. */
  createFunnel(f: { id?: string; app_id: string; name: string; steps: string[] }, at?: number): Promise<Funnel>;
  getFunnel(id: string): Promise<Funnel | undefined>;
  /** The app's funnels, oldest first. */
  listFunnels(appId: string): Promise<Funnel[]>;
  /** Deletes the definition and its daily rows; STORE_ERR_NOT_FOUND when missing. */
  deleteFunnel(id: string): Promise<void>;
  /**
   * Replaces the funnel and reach rows of one (app, day) in one transaction (a job's load,
   * idempotent). Rows of funnels deleted meanwhile are dropped.
   */
  replaceFunnelReachDay(appId: string, day: string, funnels: readonly FunnelDailyRow[], reach: readonly CampaignReachRow[]): Promise<void>;
  /** Daily rows of one funnel for days in [fromDay, toDay], ordered by day, step. */
  funnelDaily(funnelId: string, fromDay: string, toDay: string): Promise<FunnelDailyRow[]>;
  /** One campaign's reach over every app, per day in [fromDay, toDay], ordered by day. */
  campaignReach(campaignId: string, fromDay: string, toDay: string): Promise<CampaignReachDay[]>;
}

/** Problems of a funnel definition, in words (empty when it is good). */
export function funnelProblems(f: { name?: unknown; steps?: unknown }): string[] {
  const problems: string[] = [];
  const { name, steps } = f;
  if (typeof name !== 'string' || name.trim() === '' || [...name].length > FUNNEL_NAME_MAX || !name.isWellFormed()) problems.push(`name: expected a non-empty string of at most ${FUNNEL_NAME_MAX} characters`);
  if (!Array.isArray(steps) || steps.length < FUNNEL_MIN_STEPS || steps.length > FUNNEL_MAX_STEPS) {
    problems.push(`steps: expected ${FUNNEL_MIN_STEPS} to ${FUNNEL_MAX_STEPS} custom event names`);
    return problems;
  }
  steps.forEach((s, i) => {
    // A step may repeat the one before: "did it twice" is a funnel too.
    if (typeof s !== 'string' || s === '' || [...s].length > FUNNEL_STEP_MAX || !s.isWellFormed()) problems.push(`steps[${i}]: expected a custom event name of 1 to ${FUNNEL_STEP_MAX} characters`);
  });
  return problems;
}
