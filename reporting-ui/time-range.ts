/**
 * Report ranges are local days in the viewer's time zone (IANA name, default UTC). The facts
 * are kept per UTC hour, so a range becomes the UTC hours that start inside those local days;
 * time zones with a half-hour offset see each hour in the local day its start falls in.
 */
import { badRequest } from './errors.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 400;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    } catch {
      throw badRequest(`tz: '${tz}' is not a time zone (use an IANA name such as Europe/Paris or UTC)`);
    }
    // Bounded: time zone names are few, but they come from requests.
    if (formatters.size > 500) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of tz from UTC at instant ms, in ms (positive east of Greenwich). */
function tzOffset(ms: number, tz: string): number {
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const x of formatter(tz).formatToParts(ms)) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const { year, month, day, hour, minute } = p;
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined) throw new Error(`time zone ${tz}: no year, month, day, hour or minute in the formatted date`);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  return asUtc - (ms - (ms % 60_000));
}

/** The local day (YYYY-MM-DD) of instant ms in tz. */
export function localDay(ms: number, tz: string): string {
  return new Date(ms + tzOffset(ms, tz)).toISOString().slice(0, 10);
}

/** The instant local midnight of `day` happens in tz. */
export function localMidnight(day: string, tz: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  let t = guess - tzOffset(guess, tz);
  t = guess - tzOffset(t, tz);
  return t;
}

export interface Range {
  from: string;
  to: string;
  tz: string;
  /** First and last UTC hour (starts, epoch ms) inside the local days. */
  fromHour: number;
  toHour: number;
  /** The UTC days those hours touch (for the daily tables). */
  fromDay: string;
  toDay: string;
  days: number;
}

/** A calendar day YYYY-MM-DD that exists (not 2026-02-30), between years 1970 and 9999; 400 otherwise. */
function checkDay(name: string, v: string): string {
  const t = DAY_RE.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (Number.isNaN(t) || t < 0 || new Date(t).toISOString().slice(0, 10) !== v) throw badRequest(`${name}: expected a day YYYY-MM-DD, got ${JSON.stringify(v.slice(0, 40))}`);
  return v;
}

/** Checks from/to (local days, default the last 30 days) and tz; 400 with the reason when they are off. */
export function parseRange(q: { from?: string; to?: string; tz?: string }, now = Date.now()): Range {
  const tz = q.tz || 'UTC';
  formatter(tz);
  const to = checkDay('to', q.to || localDay(now, tz));
  const from = checkDay('from', q.from || new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10));
  if (from > to) throw badRequest(`from ${from} is after to ${to}`);
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
  if (days > MAX_DAYS) throw badRequest(`the range has ${days} days; at most ${MAX_DAYS}`);
  const start = localMidnight(from, tz);
  const end = localMidnight(new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10), tz);
  const fromHour = Math.ceil(start / HOUR_MS) * HOUR_MS;
  const toHour = Math.ceil(end / HOUR_MS) * HOUR_MS - HOUR_MS;
  return { from, to, tz, fromHour, toHour, fromDay: new Date(fromHour).toISOString().slice(0, 10), toDay: new Date(toHour).toISOString().slice(0, 10), days };
}

/** UTC days from..to (inclusive), or of the n days ending at `to`. */
export function utcDays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export const dayMinus = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) - n * DAY_MS).toISOString().slice(0, 10);
