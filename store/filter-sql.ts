/**
 * Report reads under a filter on one dimension (platform, country or app version) = value, for
 * both backends. Each read uses the cheapest table that answers exactly: whole UTC days from
 * agg_app_dim_daily (per app, day, one dimension), hours from agg_app_dim_hourly (per app, hour,
 * one filter dimension), a breakdown by another dimension from agg_app_hourly (every dimension
 * per hour). The dimension column is picked from a fixed list, never from input.
 */
import { invalid } from './errors.js';
import { checkIds, marks, num } from './sql-params.js';
import { FILTER_ROLLUP_DIMENSIONS, REPORT_DIMENSIONS, type ReportDimension } from './migrations.js';
import type { DimensionTotals, EventTotals } from './reports.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';

/** The dimensions a report may be filtered on (one at a time). */
export const FILTER_DIMENSIONS = FILTER_ROLLUP_DIMENSIONS;
type FilterDimension = (typeof FILTER_DIMENSIONS)[number];
export interface ReportFilter {
  dim: FilterDimension;
  value: string;
}

/** Event counts of one bucket (an hour's start in ms, or a UTC day) under a filter. */
export interface FilteredTotals extends EventTotals {
  t: number | string;
}

export interface FilterQueries {
  /** Totals per UTC hour in [fromHour, toHour] of the apps' rows matching the filter (agg_app_dim_hourly). */
  filteredHours(appIds: readonly string[], f: ReportFilter, fromHour: number, toHour: number): Promise<FilteredTotals[]>;
  /** Totals per UTC day in [fromDay, toDay] of the apps' rows matching the filter (agg_app_dim_daily). */
  filteredDays(appIds: readonly string[], f: ReportFilter, fromDay: string, toDay: string): Promise<FilteredTotals[]>;
  /** Totals per value of `dim` over the hours, of the rows matching the filter (agg_app_hourly), most events first. */
  filteredDimensionTotals(appIds: readonly string[], dim: ReportDimension, f: ReportFilter, fromHour: number, toHour: number): Promise<DimensionTotals[]>;
}

const SUMS = 'SUM(events) AS events, SUM(sessions) AS sessions, SUM(session_ms) AS session_ms, SUM(ad_impression) AS ad_impression, SUM(ad_click) AS ad_click, SUM(custom) AS custom';
const totals = (t: number | string, r: Row): FilteredTotals => ({ t, events: num(r, 'events'), sessions: num(r, 'sessions'), session_ms: num(r, 'session_ms'), ad_impression: num(r, 'ad_impression'), ad_click: num(r, 'ad_click'), custom: num(r, 'custom') });

function check(appIds: readonly string[], f: ReportFilter): void {
  checkIds('report filter', 'appIds', appIds);
  if (!f || !FILTER_DIMENSIONS.includes(f.dim)) throw invalid('report filter', [`filter: expected one of ${FILTER_DIMENSIONS.join(', ')}`]);
  if (typeof f.value !== 'string' || f.value.length > 64) throw invalid('report filter', ['filter value: expected a string of at most 64 characters']);
}

export class FilterSql implements FilterQueries {
  constructor(private readonly db: SqlAccess) {}

  async filteredHours(appIds: readonly string[], f: ReportFilter, fromHour: number, toHour: number): Promise<FilteredTotals[]> {
    check(appIds, f);
    if (appIds.length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(`SELECT hour, ${SUMS} FROM agg_app_dim_hourly WHERE app_id IN (${marks(appIds.length)}) AND hour >= ? AND hour <= ? AND dim = ? AND value = ? GROUP BY hour ORDER BY hour`, [...appIds, fromHour, toHour, f.dim, f.value]),
    );
    return rows.map((r) => totals(num(r, 'hour'), r));
  }

  async filteredDays(appIds: readonly string[], f: ReportFilter, fromDay: string, toDay: string): Promise<FilteredTotals[]> {
    check(appIds, f);
    if (appIds.length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(`SELECT day, ${SUMS} FROM agg_app_dim_daily WHERE app_id IN (${marks(appIds.length)}) AND day >= ? AND day <= ? AND dim = ? AND value = ? GROUP BY day ORDER BY day`, [...appIds, fromDay, toDay, f.dim, f.value]),
    );
    return rows.map((r) => totals(String(r.day), r));
  }

  async filteredDimensionTotals(appIds: readonly string[], dim: ReportDimension, f: ReportFilter, fromHour: number, toHour: number): Promise<DimensionTotals[]> {
    check(appIds, f);
    if (!REPORT_DIMENSIONS.includes(dim)) throw invalid('report filter', [`dim: expected one of ${REPORT_DIMENSIONS.join(', ')}`]);
    if (appIds.length === 0) return [];
    const rows = await this.db.query((x) =>
      x.all(`SELECT ${dim} AS value, ${SUMS} FROM agg_app_hourly WHERE app_id IN (${marks(appIds.length)}) AND hour >= ? AND hour <= ? AND ${f.dim} = ? GROUP BY ${dim}`, [...appIds, fromHour, toHour, f.value]),
    );
    return rows
      .map((r) => ({ value: String(r.value), events: num(r, 'events'), sessions: num(r, 'sessions'), session_ms: num(r, 'session_ms'), ad_impression: num(r, 'ad_impression'), ad_click: num(r, 'ad_click'), custom: num(r, 'custom') }))
      .sort((a, b) => b.events - a.events || (a.value < b.value ? -1 : 1));
  }
}
