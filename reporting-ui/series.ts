/**
 * The overview's time series, with or without a filter: every bucket of the range (hours, or
 * local days), zeros included so charts and exports show quiet days, and the totals over it.
 */
import type { EventTotals } from '../store/reports.js';
import { localDay, type Range, utcDays } from './time-range.js';

const HOUR_MS = 3_600_000;

export type Bucket = 'hour' | 'day';

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

interface Sums {
  events: number;
  sessions: number;
  session_ms: number;
  ad_impressions: number;
  ad_clicks: number;
}

/** Average session length in seconds, one decimal; 0 without sessions. */
export const avgSessionS = (sessions: number, ms: number): number => (sessions ? Math.round(ms / sessions / 100) / 10 : 0);

/** Rows of event totals, each at `timeOf(row)` (an hour's start in ms, or a UTC day), added into every bucket of the range. */
export function bucketSeries<R extends EventTotals>(rows: readonly R[], timeOf: (row: R) => number | string, r: Range, bucket: Bucket): SeriesPoint[] {
  const series: SeriesPoint[] = [];
  const byT = new Map<string, SeriesPoint>();
  const add = (t: string) => {
    if (byT.has(t)) return;
    const b = { t, events: 0, sessions: 0, session_ms: 0, avg_session_s: 0, ad_impressions: 0, ad_clicks: 0, custom: 0 };
    byT.set(t, b);
    series.push(b);
  };
  if (bucket === 'hour') for (let h = r.fromHour; h <= r.toHour; h += HOUR_MS) add(new Date(h).toISOString());
  else for (const d of utcDays(r.from, r.to)) add(d);
  for (const x of rows) {
    const t = timeOf(x);
    const key = typeof t === 'string' ? t : bucket === 'hour' ? new Date(t).toISOString() : localDay(t, r.tz);
    const cur = byT.get(key);
    if (cur === undefined) continue; // outside the range's buckets
    cur.events += x.events;
    cur.sessions += x.sessions;
    cur.session_ms += x.session_ms;
    cur.ad_impressions += x.ad_impression;
    cur.ad_clicks += x.ad_click;
    cur.custom += x.custom;
  }
  for (const p of series) p.avg_session_s = avgSessionS(p.sessions, p.session_ms);
  return series;
}

/** Totals of a series, or of rows of event totals. */
export function sums(rows: readonly (SeriesPoint | EventTotals)[]): Sums {
  const a: Sums = { events: 0, sessions: 0, session_ms: 0, ad_impressions: 0, ad_clicks: 0 };
  for (const r of rows) {
    (a.events += r.events), (a.sessions += r.sessions), (a.session_ms += r.session_ms);
    if ('ad_impressions' in r) (a.ad_impressions += r.ad_impressions), (a.ad_clicks += r.ad_clicks);
    else (a.ad_impressions += r.ad_impression), (a.ad_clicks += r.ad_click);
  }
  return a;
}
