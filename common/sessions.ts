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

export function sessionize(events: readonly SessionEvent[], timeoutMs = DEFAULT_SESSION_TIMEOUT_MS): Session[] {
  const out: Session[] = [];
  let open = false;
  let start = 0;
  let last = 0;
  let lastType = '';
  for (const e of events) {
    if (open && lastType === 'app_background' && e.ts - last > timeoutMs) {
      out.push({ start, end: last + timeoutMs, closed: false });
      open = false;
    }
    if (e.type === 'app_open') {
      // Ends at its last event + timeout, but never after the new session starts.
      if (open) out.push({ start, end: Math.min(last + timeoutMs, e.ts), closed: false });
      open = true;
      start = e.ts;
    } else if (e.type === 'app_close') {
      if (open) out.push({ start, end: e.ts, closed: true });
      open = false;
    } else if (!open) {
      open = true;
      start = e.ts;
    }
    last = e.ts;
    lastType = e.type;
  }
  if (open) out.push({ start, end: last + timeoutMs, closed: false });
  return out;
}
