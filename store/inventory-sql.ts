/**
 * Inventory reads for both backends: ad requests and fills (impressions) per app, slot and UTC
 * day, from the daily ad rollup by slot (agg_campaign_dim_daily, dim 'slot_id'). Requests sit
 * on rows with no campaign (a request comes before any pick), impressions on the campaigns'.
 */
import { checkIds, marks } from './sql-params.js';
import type { SqlAccess } from './sql-store.js';

interface SlotDay {
  app_id: string;
  slot_id: string;
  day: string;
  requests: number;
  impressions: number;
}

export interface InventoryQueries {
  /** Requests and impressions per app, slot and UTC day in [fromDay, toDay], by day then app then slot. */
  slotDays(appIds: readonly string[], fromDay: string, toDay: string): Promise<SlotDay[]>;
}


export class InventorySql implements InventoryQueries {
  constructor(private readonly db: SqlAccess) {}

  async slotDays(appIds: readonly string[], fromDay: string, toDay: string): Promise<SlotDay[]> {
    checkIds('inventory query', 'appIds', appIds);
    if (appIds.length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(
        `SELECT app_id, value AS slot_id, day, SUM(requests) AS requests, SUM(impressions) AS impressions FROM agg_campaign_dim_daily
         WHERE app_id IN (${marks(appIds.length)}) AND day >= ? AND day <= ? AND dim = 'slot_id' GROUP BY app_id, value, day ORDER BY day, app_id, value`,
        [...appIds, fromDay, toDay],
      ),
    );
    return rows.map((r) => ({ app_id: String(r.app_id), slot_id: String(r.slot_id), day: String(r.day), requests: Number(r.requests ?? 0), impressions: Number(r.impressions ?? 0) }));
  }
}
