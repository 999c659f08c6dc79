/**
 * How each device's sessions cross midnights ("session days"), kept per device with the
 * dedupe state, and per app the sessions that run into a later day ("crossings").
 *
 * A session may run across any number of midnights (no close and no background: it goes on
 * through every later event), and a late event can extend, split or end one begun days
 * earlier, or change the sessions of a later day. Loads replace whole app-days, so a load
 * must (1) recompute every app-day whose sessions change and (2) read, for the days it
 * emits, from the start of every session with events in them up to the end of every
 * session starting in them. Why per device: a late event only touches its own device's
 * sessions; a bound per app (the oldest session any device still has open) would send
 * every load back to the oldest crash of any device.
 *
 * The dedupe step sees every new event of a device, so it keeps, per device and day with
 * events, [day, in, out]: `in` the start day of the session holding the device's first event
 * that day, `out` the start day of the session open after its last event that day (or -1),
 * and the sessionizer state after the device's last event. From these:
 * - new events after the device's last one (the common case) continue from that state: the
 *   app-days changed are the new events' days and the start day of the open session they
 *   extend or cut short;
 * - an event landing before the last one changes sessions from the start of the session open
 *   where it lands (`out` of the day before, or `in` of its day) to the end of the session
 *   chain that follows it (days linked by in == previous out); those days of that device are
 *   walked again from the lake (session-reread.ts) and all its session days there reloaded;
 * - the app's crossings (per day, per start day of a session with events that day, how many
 *   devices) give a window of days [a, b] its read range: from the oldest start of a session
 *   with events in [a, b], to the last day a session starting in [a, b] has events, plus
 *   the timeout (an app_open that soon after the last event cuts the session short).
 */
import { closedSession, SESSION_BEACON, stepSession, type SessionState } from '../common/sessions.js';
import { DAY_MS } from '../common/time.js';

export interface SessionDays {
  /** [day, in, out, ...] for each UTC day number with events of the device, ascending. */
  d: number[];
  /** The device's last event: its seq (null when it has none), time and 1 when it was an app_background. */
  t: [number | null, number, number];
}

/** Per app: day -> start day -> devices whose session begun that start day has events on that day. */
export type Crossings = Record<string, Record<string, number>>;

/** One device's events in device order ((seq, event_time) as the aggregation sorts them). */
export interface DeviceEvents {
  seq: number[];
  time: number[];
  type: string[];
}

export const dayOf = (t: number) => Math.floor(t / DAY_MS);

/** Walks events [from, to) on from state `s`, adding or updating the session days in `d` (the last entry is continued when it is the same day). */
export function walkDays(s: SessionState, ev: DeviceEvents, from: number, to: number, timeoutMs: number, d: number[]): void {
  for (let i = from; i < to; i++) {
    const day = dayOf(ev.time[i]!);
    const of = stepSession(s, ev.type[i]!, ev.time[i]!, timeoutMs);
    let k = d.length - 3;
    if (k < 0 || d[k] !== day) {
      const start = of < 0 ? day : dayOf(of);
      d.push(day, Math.min(start, day), -1);
      k = d.length - 3;
    }
    d[k + 2] = s.open ? dayOf(s.start) : -1;
  }
  // Events whose time runs backwards across a midnight (a device clock set back) would leave days out of order: merge them.
  for (let k = 3; k < d.length; k += 3) if (d[k]! <= d[k - 3]!) return sortDays(d);
}

function sortDays(d: number[]): void {
  const by = new Map<number, [number, number]>();
  for (let k = 0; k < d.length; k += 3) {
    const e = by.get(d[k]!);
    by.set(d[k]!, e ? [Math.min(e[0], d[k + 1]!), d[k + 2]!] : [d[k + 1]!, d[k + 2]!]);
  }
  d.length = 0;
  for (const [day, [i, o]] of [...by].sort((a, b) => a[0] - b[0])) d.push(day, i, o);
}

/** The state after the device's last event (only the start day of an open session is kept). */
function tailState(sd: SessionDays): SessionState {
  const out = sd.d[sd.d.length - 1]!;
  return { open: out >= 0, start: out * DAY_MS, last: sd.t[1], lastType: sd.t[2] === 1 ? 'app_background' : '' };
}

/** Whether all of the events come after the device's last known one, in device order, with days that never go back. */
export function continuesAfter(sd: SessionDays | undefined, ev: DeviceEvents): boolean {
  if (sd === undefined) return true;
  const [seq, time] = sd.t;
  let day = sd.d[sd.d.length - 3]!;
  for (let i = 0; i < ev.time.length; i++) {
    const s = ev.seq[i]!;
    if (seq === null || Number.isNaN(s) || dayOf(ev.time[i]!) < day) return false;
    if (s < seq || (s === seq && ev.time[i]! <= time)) return false;
    day = dayOf(ev.time[i]!);
  }
  return true;
}

function bump(delta: Map<number, Map<number, number>>, day: number, start: number, by: number): void {
  let m = delta.get(day);
  if (!m) delta.set(day, (m = new Map()));
  m.set(start, (m.get(start) ?? 0) + by);
}

/** The last of the events, as SessionDays keeps it. */
export function lastEvent(ev: DeviceEvents, before: 0 | 1 = 0): SessionDays['t'] {
  const n = ev.time.length - 1;
  // The type the gap rule sees: the last one that is not a beacon (sessions.ts, SESSION_BEACON), else the state's before these events.
  let k = n;
  while (k >= 0 && ev.type[k] === SESSION_BEACON) k--;
  const bg = k < 0 ? before : ev.type[k] === 'app_background' ? 1 : 0;
  return [Number.isNaN(ev.seq[n]!) ? null : ev.seq[n]!, ev.time[n]!, bg];
}

/**
 * New events after the device's last one: continues its session days, adds the crossings
 * they make to `delta` and to `changed` the start day of the open session they extend or cut.
 */
export function appendDays(sd: SessionDays | undefined, ev: DeviceEvents, timeoutMs: number, delta: Map<number, Map<number, number>>, changed: Set<number>): SessionDays {
  const d = sd ? sd.d : [];
  const s = sd ? tailState(sd) : closedSession();
  if (s.open) {
    const [type, t] = [ev.type[0]!, ev.time[0]!];
    // Untouched only when the first new event starts a new session after the open one ended at its last event + timeout.
    const after = (type === 'app_open' && t >= s.last + timeoutMs) || (s.lastType === 'app_background' && t - s.last > timeoutMs);
    if (!after) changed.add(dayOf(s.start));
  }
  const old = d.length;
  walkDays(s, ev, 0, ev.time.length, timeoutMs, d);
  for (let k = old; k < d.length; k += 3) if (d[k + 1]! < d[k]!) bump(delta, d[k]!, d[k + 1]!, 1);
  return { d, t: lastEvent(ev, sd?.t[2] === 1 ? 1 : 0) };
}

/** Index of the first entry of `d` on or after `day`. */
function entryAt(d: readonly number[], day: number): number {
  let k = 0;
  while (k < d.length && d[k]! < day) k += 3;
  return k;
}

/**
 * For new events landing among the device's known ones, on `days`: the day span to walk again
 * ([from, to]) and the days whose sessions may change (added to `changed`).
 */
export function spanOfChange(sd: SessionDays | undefined, days: Iterable<number>, changed: Set<number>): [number, number] {
  let from = Infinity;
  let to = -Infinity;
  const d = sd?.d ?? [];
  for (const day of days) {
    let k = entryAt(d, day);
    let r = day;
    if (k < d.length && d[k] === day) r = Math.min(r, d[k + 1]!);
    if (k > 0 && d[k - 1]! >= 0) r = Math.min(r, d[k - 1]!);
    // Forward: the next known day, and the chain of days its session runs on.
    if (k < d.length && d[k] === day) k += 3;
    let e = day;
    if (k < d.length) {
      while (k + 3 < d.length && d[k + 2]! >= 0 && d[k + 4] === d[k + 2]) k += 3;
      e = d[k]!;
    }
    for (let j = 0; j < d.length; j += 3) if (d[j]! >= r && d[j]! <= e) changed.add(d[j]!);
    changed.add(day);
    from = Math.min(from, r);
    to = Math.max(to, e);
  }
  return [from, to];
}

/**
 * Replaces the device's session days in [from, to] with those walked again from the lake
 * (`walked`, over every event of those days, from a closed state at `from`) and moves the
 * crossings. The walk cannot know a session open at `from`'s midnight, so the `in` of day
 * `from` stays as it was: that session is older than every change (see spanOfChange).
 */
export function replaceDays(sd: SessionDays | undefined, from: number, to: number, walked: number[], last: SessionDays['t'] | null, delta: Map<number, Map<number, number>>): SessionDays {
  const old = sd?.d ?? [];
  const d: number[] = [];
  for (let k = 0; k < old.length; k += 3) {
    if (old[k]! < from) d.push(old[k]!, old[k + 1]!, old[k + 2]!);
    else if (old[k]! <= to && old[k + 1]! < old[k]!) bump(delta, old[k]!, old[k + 1]!, -1);
  }
  for (let k = 0; k < walked.length; k += 3) {
    const day = walked[k]!;
    let i = walked[k + 1]!;
    if (day === from) {
      const was = entryAt(old, from);
      if (was < old.length && old[was] === from) i = old[was + 1]!;
    }
    d.push(day, i, walked[k + 2]!);
    if (i < day) bump(delta, day, i, 1);
  }
  for (let k = 0; k < old.length; k += 3) if (old[k]! > to) d.push(old[k]!, old[k + 1]!, old[k + 2]!);
  return { d, t: last ?? sd?.t ?? [null, 0, 0] };
}

/**
 * Drops session days more than `keepDays` before the device's last one, but the last of those
 * (what a late event after it needs). Counted from the device's own last day, not the clock:
 * tracking refuses events older than its retention, which is never later than that.
 */
export function pruneDays(sd: SessionDays, keepDays: number): void {
  const minDay = sd.d[sd.d.length - 3]! - keepDays;
  let k = 0;
  while (k + 3 < sd.d.length && sd.d[k + 3]! < minDay) k += 3;
  if (k > 0) sd.d.splice(0, k);
}

/** Applies per-day changes to an app's crossings (entries that reach 0 go). */
export function applyCrossings(c: Crossings, delta: Map<number, Map<number, number>>): void {
  for (const [day, starts] of delta) {
    const row = (c[day] ??= {});
    for (const [start, by] of starts) {
      const n = (row[start] ?? 0) + by;
      if (n > 0) row[start] = n;
      else delete row[start];
    }
    if (Object.keys(row).length === 0) delete c[day];
  }
}

/**
 * The days to read for emitting [first, last] (UTC day numbers): from the oldest start of a
 * session with events in them, to the last day of a session starting in them plus the timeout.
 * Without crossings (a state from before they were kept) the day either side, as then.
 */
export function readRange(c: Crossings | undefined, first: number, last: number, timeoutMs: number): [number, number] {
  if (c === undefined) return [first - 1, last + 1];
  let lo = first;
  let hi = last;
  for (const [key, starts] of Object.entries(c)) {
    const day = Number(key);
    if (day < first) continue;
    for (const s of Object.keys(starts)) {
      const start = Number(s);
      if (day <= last && start < lo) lo = start;
      if (start >= first && start <= last && day > hi) hi = day;
    }
  }
  return [lo, hi + Math.ceil(timeoutMs / DAY_MS)];
}
