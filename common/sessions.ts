/**
 * The session rules of DESIGN.md, one definition for the fleet's ground truth and the jobs:
 * - `app_open` starts a session (closing an open one at its last event + timeout, or at this
 *   open if that comes sooner, so sessions never overlap);
 * - `app_close` ends the open session at the close;
 * - after `app_background`, an event more than `timeoutMs` later means the session ended
 *   at the background + timeout, and that event starts a new session;
 * - any other event with no session open starts one;
 * - a session still open at the end ends at its last event + timeout.
 * Input: one device's events in seq order, on the server's clock.
 */
export interface SessionEvent {
  type: string;
  ts: number;
}

export interface Session {
  start: number;
  end: number;
  /** True when ended by app_close rather than by the timeout. */
  closed: boolean;
}

export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

/**
 * What an ad beacon (lake `source` 'beacon': an impression, click or video event tracking
 * recorded from the ad server's token) is to the session rules: activity that opens a session
 * when none is, moves its last event, but leaves the type the gap rule looks at to the event
 * before it, so a beacon fired after a background (or in an app whose sessions follow
 * activity, below) does not keep a session open across a gap.
 */
export const SESSION_BEACON = '(beacon)';

/**
 * The type an event has for the session rules. Events of apps instrumented with Segment-spec
 * SDKs (lake `source` 'segment') follow activity: any of them but an open or a close acts as
 * a background, so more than the timeout without events ends the session (at the last event
 * + timeout) and the next event starts one. Such apps mostly send no lifecycle events, and
 * without this a device's session would run from its first event to its last. Ad beacons are
 * SESSION_BEACON whatever the app.
 */
export function sessionType(type: string, source: string): string {
  if (source === 'beacon') return SESSION_BEACON;
  return source === 'segment' && type !== 'app_open' && type !== 'app_close' ? 'app_background' : type;
}

export function sessionize(events: readonly SessionEvent[], timeoutMs = DEFAULT_SESSION_TIMEOUT_MS): Session[] {
  const out: number[] = [];
  sessionizeInto(events.map((e) => e.type), events.map((e) => e.ts), 0, events.length, timeoutMs, out);
  const sessions: Session[] = [];
  for (let i = 0; i < out.length; i += 4) {
    const start = out[i + 1];
    const end = out[i + 2];
    if (start === undefined || end === undefined) throw new Error('sessionizeInto: a session quad is incomplete');
    sessions.push({ start, end, closed: out[i + 3] === 1 });
  }
  return sessions;
}

/**
 * The same rules over parallel arrays (events from..to-1), for the batch jobs: appends one
 * quad per session to `out`: index of its first event, start, end, 1 when closed else 0.
 * No object per event or session (the jobs sessionize millions of events).
 */
export function sessionizeInto(types: ArrayLike<string>, ts: ArrayLike<number>, from: number, to: number, timeoutMs: number, out: number[]): void {
  let open = false;
  let first = 0;
  let start = 0;
  let last = 0;
  let lastType = '';
  for (let i = from; i < to; i++) {
    const type = types[i]!;
    const t = ts[i]!;
    if (open && lastType === 'app_background' && t - last > timeoutMs) {
      out.push(first, start, last + timeoutMs, 0);
      open = false;
    }
    if (type === 'app_open') {
      // Ends at its last event + timeout, but never after the new session starts.
      if (open) out.push(first, start, Math.min(last + timeoutMs, t), 0);
      open = true;
      first = i;
      start = t;
    } else if (type === 'app_close') {
      if (open) out.push(first, start, t, 1);
      open = false;
    } else if (!open) {
      open = true;
      first = i;
      start = t;
    }
    last = t;
    if (type !== SESSION_BEACON) lastType = type;
  }
  if (open) out.push(first, start, last + timeoutMs, 0);
}

/** The state between two events of one device, for code that takes events one at a time. */
export interface SessionState {
  open: boolean;
  /** Start of the open session. */
  start: number;
  last: number;
  lastType: string;
}

export const closedSession = (): SessionState => ({ open: false, start: 0, last: 0, lastType: '' });

/**
 * The rules of sessionizeInto for one more event: updates the state and answers the start of
 * the session the event belongs to, or -1 (a close with no session open). A session ended by
 * a background and the timeout is closed here when the next event comes, as there.
 */
export function stepSession(s: SessionState, type: string, t: number, timeoutMs: number): number {
  if (s.open && s.lastType === 'app_background' && t - s.last > timeoutMs) s.open = false;
  let of = -1;
  if (type === 'app_open') {
    s.open = true;
    s.start = t;
    of = t;
  } else if (type === 'app_close') {
    if (s.open) of = s.start;
    s.open = false;
  } else {
    if (!s.open) (s.open = true), (s.start = t);
    of = s.start;
  }
  s.last = t;
  if (type !== SESSION_BEACON) s.lastType = type;
  return of;
}
