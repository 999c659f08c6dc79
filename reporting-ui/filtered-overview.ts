/**
 * The overview under a filter on one dimension = value (`?filter=platform:ios`). Totals and
 * series come from the cheapest table that answers exactly: agg_app_dim_daily for whole UTC
 * days, agg_app_hourly for hours (hourly series of short ranges, the hours at the ends of a
 * range in a zone off UTC). Devices (DAU/WAU/MAU)
 * are kept per app, day and platform only as sketches over every dimension: under a filter they
 * are not available and answer null rather than a wrong figure.
 */
import { Type } from '@sinclair/typebox';
import { splitRange } from '../store/report-sql.js';
import { FILTER_DIMENSIONS, type FilteredTotals, type ReportFilter } from '../store/filter-sql.js';
import type { ReportStore } from '../store/store.js';
import { badRequest } from './errors.js';
import { localMidnight, type Range, utcDays } from './time-range.js';

const HOUR_MS = 3_600_000;

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

export interface SeriesPoint {
  t: string;
  events: number;
  sessions: number;
  session_ms: number;
  avg_session_s: number;
  ad_impressions: number;
  ad_clicks: number;
  custom: number;
}

const avg = (ms: number, n: number): number => (n ? Math.round(ms / n / 100) / 10 : 0);

/** Whether every local day of the range starts at a UTC midnight (then UTC days are its days). */
function utcAligned(r: Range): boolean {
  for (const d of utcDays(r.from, r.to)) if (localMidnight(d, r.tz) !== Date.parse(`${d}T00:00:00Z`)) return false;
  return true;
}

/** Totals over the hours of a range: whole UTC days from the daily rollup, the ends from the hourly facts. */
export async function filteredRangeTotals(store: ReportStore, ids: readonly string[], f: ReportFilter, fromHour: number, toHour: number) {
  const { days, edges } = splitRange(fromHour, toHour);
  const parts: FilteredTotals[][] = await Promise.all([days ? store.filteredDays(ids, f, days[0], days[1]) : Promise.resolve([]), ...edges.map(([a, b]) => store.filteredHours(ids, f, a, b))]);
  const t = { events: 0, sessions: 0, session_ms: 0, ad_impressions: 0, ad_clicks: 0 };
  for (const x of parts.flat()) (t.events += x.events), (t.sessions += x.sessions), (t.session_ms += x.session_ms), (t.ad_impressions += x.ad_impression), (t.ad_clicks += x.ad_click);
  return { ...t, avg_session_s: avg(t.session_ms, t.sessions) };
}

/** Under a filter, reads of the hourly facts (every dimension per hour) cover at most this many local days. */
export const FILTER_HOURLY_MAX_DAYS = 3;

/**
 * The series (every bucket, zeros included) of the range under the filter. Hours read the
 * hourly facts (ranges up to FILTER_HOURLY_MAX_DAYS). Days are UTC days, read from the daily
 * rollup: in a zone on UTC they are the range's days; elsewhere the points are the UTC days the
 * range touches, the first and last holding only the range's hours (from the hourly facts), so
 * the points still add up to the range exactly.
 */
export async function filteredSeries(store: ReportStore, ids: readonly string[], f: ReportFilter, r: Range, bucket: 'hour' | 'day'): Promise<{ series: SeriesPoint[]; utcDays: boolean }> {
  if (bucket === 'hour' && r.days > FILTER_HOURLY_MAX_DAYS) throw badRequest(`under a filter, hourly series cover at most ${FILTER_HOURLY_MAX_DAYS} days (use bucket=day)`);
  const series: SeriesPoint[] = [];
  const byT = new Map<string, SeriesPoint>();
  const add = (t: string) => {
    const b = { t, events: 0, sessions: 0, session_ms: 0, avg_session_s: 0, ad_impressions: 0, ad_clicks: 0, custom: 0 };
    byT.set(t, b);
    series.push(b);
  };
  let rows: FilteredTotals[];
  const aligned = bucket === 'day' && utcAligned(r);
  if (bucket === 'hour') {
    for (let h = r.fromHour; h <= r.toHour; h += HOUR_MS) add(new Date(h).toISOString());
    rows = await store.filteredHours(ids, f, r.fromHour, r.toHour);
  } else if (aligned) {
    for (const d of utcDays(r.from, r.to)) add(d);
    rows = await store.filteredDays(ids, f, r.from, r.to);
  } else {
    for (const d of utcDays(r.fromDay, r.toDay)) add(d);
    const { days, edges } = splitRange(r.fromHour, r.toHour);
    const parts = await Promise.all([days ? store.filteredDays(ids, f, days[0], days[1]) : Promise.resolve([]), ...edges.map(([a, b]) => store.filteredHours(ids, f, a, b))]);
    rows = parts.flat();
  }
  for (const x of rows) {
    const key = typeof x.t === 'string' ? x.t : bucket === 'hour' ? new Date(x.t).toISOString() : new Date(x.t).toISOString().slice(0, 10);
    const cur = byT.get(key);
    if (!cur) continue;
    cur.events += x.events;
    cur.sessions += x.sessions;
    cur.session_ms += x.session_ms;
    cur.ad_impressions += x.ad_impression;
    cur.ad_clicks += x.ad_click;
    cur.custom += x.custom;
  }
  for (const p of series) p.avg_session_s = avg(p.session_ms, p.sessions);
  return { series, utcDays: bucket === 'day' && !aligned };
}
