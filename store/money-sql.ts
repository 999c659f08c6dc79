/**
 * The counts money is computed from (common/money.ts), for both backends: impressions and
 * clicks per app, campaign and line item (or also per slot) over an hour range, read from the
 * line item x hour rollup (or the hourly facts, for slots). Ids are bound parameters.
 */
import { invalid } from './errors.js';
import type { SqlAccess } from './sql-store.js';

/** Impressions and clicks of one line item on one app (and slot, when asked; '' otherwise). */
export interface MoneyCount {
  app_id: string;
  campaign_id: string;
  line_item_id: string;
  slot_id: string;
  impressions: number;
  clicks: number;
}

export interface MoneyQueries {
  /** Counts per app, campaign and line item (and slot with `bySlot`) on the apps, hours in [fromHour, toHour]; rows with no line item left out. */
  moneyCounts(appIds: readonly string[], fromHour: number, toHour: number, bySlot: boolean): Promise<MoneyCount[]>;
}

const MAX_IDS = 10_000;

export class MoneySql implements MoneyQueries {
  constructor(private readonly db: SqlAccess) {}

  async moneyCounts(appIds: readonly string[], fromHour: number, toHour: number, bySlot: boolean): Promise<MoneyCount[]> {
    if (!Array.isArray(appIds) || appIds.length > MAX_IDS || appIds.some((x) => typeof x !== 'string')) throw invalid('money filter', [`appIds: expected at most ${MAX_IDS} ids`]);
    if (appIds.length === 0) return [];
    const marks = appIds.map(() => '?').join(', ');
    const slot = bySlot ? 'slot_id' : "''";
    const table = bySlot ? 'agg_campaign_hourly' : 'agg_campaign_hour_li';
    const group = bySlot ? 'app_id, campaign_id, line_item_id, slot_id' : 'app_id, campaign_id, line_item_id';
    const rows = await this.db.query((x) =>
      x.all(
        `SELECT app_id, campaign_id, line_item_id, ${slot} AS slot_id, SUM(impressions) AS impressions, SUM(clicks) AS clicks FROM ${table}
          WHERE app_id IN (${marks}) AND hour >= ? AND hour <= ? AND line_item_id <> '' GROUP BY ${group}`,
        [...appIds, fromHour, toHour],
      ),
    );
    return rows.map((r) => ({
      app_id: String(r.app_id), campaign_id: String(r.campaign_id), line_item_id: String(r.line_item_id), slot_id: String(r.slot_id ?? ''),
      impressions: Number(r.impressions ?? 0), clicks: Number(r.clicks ?? 0),
    }));
  }
}
