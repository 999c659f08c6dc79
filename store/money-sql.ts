/**
 * The counts money is computed from (common/money.ts), for both backends: impressions and
 * clicks per app, campaign and line item (or also per slot) over an hour range, read from the
 * line item x hour rollup, or for slots the line item x slot x day rollup (agg_money_slot_daily)
 * and the hourly facts at either end of the range. Ids are bound parameters.
 */
import { checkIds } from './sql-params.js';
import { splitRange } from './report-sql.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';

/** Impressions and clicks of one line item on one app (and slot, when asked; '' otherwise). */
interface MoneyCount {
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


export class MoneySql implements MoneyQueries {
  constructor(private readonly db: SqlAccess) {}

  async moneyCounts(appIds: readonly string[], fromHour: number, toHour: number, bySlot: boolean): Promise<MoneyCount[]> {
    checkIds('money filter', 'appIds', appIds);
    if (appIds.length === 0) return [];
    const marks = appIds.map(() => '?').join(', ');
    const sums = 'SUM(impressions) AS impressions, SUM(clicks) AS clicks';
    const rows = await this.db.query(async (x) => {
      if (!bySlot) {
        return x.all(`SELECT app_id, campaign_id, line_item_id, '' AS slot_id, ${sums} FROM agg_campaign_hour_li
          WHERE app_id IN (${marks}) AND hour >= ? AND hour <= ? AND line_item_id <> '' GROUP BY app_id, campaign_id, line_item_id`, [...appIds, fromHour, toHour]);
      }
      // Whole UTC days from the daily rollup, the hours at either end from the hourly facts.
      const group = 'GROUP BY app_id, campaign_id, line_item_id, slot_id';
      const { days, edges } = splitRange(fromHour, toHour);
      const out = [];
      if (days) out.push(...(await x.all(`SELECT app_id, campaign_id, line_item_id, slot_id, ${sums} FROM agg_money_slot_daily WHERE app_id IN (${marks}) AND day >= ? AND day <= ? ${group}`, [...appIds, days[0], days[1]])));
      for (const [a, b] of edges) {
        out.push(...(await x.all(`SELECT app_id, campaign_id, line_item_id, slot_id, ${sums} FROM agg_campaign_hourly WHERE app_id IN (${marks}) AND hour >= ? AND hour <= ? AND line_item_id <> '' ${group}`, [...appIds, a, b])));
      }
      return out;
    });
    // The parts (days, edge hours) of one app, line item and slot add up.
    const byKey = new Map<string, MoneyCount>();
    for (const r of rows) {
      const k = `${String(r.app_id)}\t${String(r.line_item_id)}\t${String(r.slot_id ?? '')}\t${String(r.campaign_id)}`;
      const m = byKey.get(k);
      if (m) (m.impressions += Number(r.impressions ?? 0)), (m.clicks += Number(r.clicks ?? 0));
      else byKey.set(k, toCount(r));
    }
    return [...byKey.values()];
  }
}

function toCount(r: Row): MoneyCount {
  return {
    app_id: String(r.app_id), campaign_id: String(r.campaign_id), line_item_id: String(r.line_item_id), slot_id: String(r.slot_id ?? ''),
    impressions: Number(r.impressions ?? 0), clicks: Number(r.clicks ?? 0),
  };
}
