/**
 * The overview under a filter on one dimension = value (`?filter=platform:ios`). Totals and
 * series come from the cheapest table that answers exactly: agg_app_dim_daily for whole UTC
 * days, agg_app_dim_hourly (per app, hour and one filter dimension) for hours: hourly series,
 * daily series in zones off UTC, the hours at the ends of a range. Devices (DAU/WAU/MAU)
 * are kept per app, day and platform only as sketches over every dimension: under a filter they
 * are not available and answer null rather than a wrong figure.
 */
import { Type } from '@sinclair/typebox';
import { splitRange } from '../store/report-sql.js';
import { FILTER_DIMENSIONS, type FilteredTotals, type ReportFilter } from '../store/filter-sql.js';
import type { ReportStore } from '../store/store.js';
import { badRequest } from './errors.js';
import { avgSessionS, bucketSeries, sums, type Bucket, type SeriesPoint } from './series.js';
import { localMidnight, type Range, utcDays } from './time-range.js';


export const FilterQuery = { filter: Type.Optional(Type.String({ maxLength: 80, description: `one dimension=value, as dim:value with dim one of ${FILTER_DIMENSIONS.join(', ')} (e.g. platform:ios)` })) };

/** `dim:value` to a filter; undefined when absent or empty; 400 when off. */
export function parseFilter(s: string | undefined): ReportFilter | undefined {
  if (!s) return undefined;
  const i = s.indexOf(':');
  const dim = s.slice(0, i) as ReportFilter['dim'];
  const value = s.slice(i + 1);
  if (i < 1 || !FILTER_DIMENSIONS.includes(dim) || value.length === 0 || value.length > 64) throw badRequest(`filter: expected dim:value with dim one of ${FILTER_DIMENSIONS.join(', ')} and a value of 1 to 64 characters`);
  return { dim, value };
}


/** Whether every local day of the range starts at a UTC midnight (then UTC days are its days). */
function utcAligned(r: Range): boolean {
  for (const d of utcDays(r.from, r.to)) if (localMidnight(d, r.tz) !== Date.parse(`${d}T00:00:00Z`)) return false;
  return true;
}

/** Totals over the hours of a range: whole UTC days from the daily rollup, the ends from the hourly facts. */
export async function filteredRangeTotals(store: ReportStore, ids: readonly string[], f: ReportFilter, fromHour: number, toHour: number) {
  const { days, edges } = splitRange(fromHour, toHour);
  const parts: FilteredTotals[][] = await Promise.all([days ? store.filteredDays(ids, f, days[0], days[1]) : Promise.resolve([]), ...edges.map(([a, b]) => store.filteredHours(ids, f, a, b))]);
  const t = sums(parts.flat());
  return { ...t, avg_session_s: avgSessionS(t.sessions, t.session_ms) };
}

/** Under a filter, breakdowns by another dimension read the hourly facts (every dimension per hour): at most this many local days. */
export const FILTER_HOURLY_MAX_DAYS = 3;

/**
 * The series (every bucket, zeros included) of the range under the filter: hours from the
 * hourly rollup by filter dimension; days from the daily rollup when the range's local days are
 * UTC days, else the hours bucketed by local day.
 */
export async function filteredSeries(store: ReportStore, ids: readonly string[], f: ReportFilter, r: Range, bucket: Bucket): Promise<SeriesPoint[]> {
  const rows = bucket === 'day' && utcAligned(r) ? await store.filteredDays(ids, f, r.from, r.to) : await store.filteredHours(ids, f, r.fromHour, r.toHour);
  return bucketSeries(rows, (x) => x.t, r, bucket);
}
