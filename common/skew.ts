import { MINUTE_MS } from './time.js';

/** Below this, received_at - sent_at is network and queueing delay, not a wrong clock. */
const SKEW_TOLERANCE_MS = 2 * MINUTE_MS;

/**
 * How far a device clock is off, from the device's clock at upload (sent_at) and the
 * server's clock at receipt (received_at). Differences under two minutes are transit time,
 * so they count as no skew; larger ones are rounded to the minute, which removes transit
 * time from the estimate (clock offsets are whole minutes or hours in practice, and a
 * transit delay of seconds must not move an event across an hour or day boundary).
 * Returns the milliseconds to add to device timestamps.
 */
export function skewCorrection(sentAt: number | undefined, receivedAt: number): number {
  if (sentAt === undefined) return 0;
  const delta = receivedAt - sentAt;
  if (delta < SKEW_TOLERANCE_MS && delta > -SKEW_TOLERANCE_MS) return 0;
  return Math.round(delta / MINUTE_MS) * MINUTE_MS;
}

/** The event's time on the server's clock. */
export function correctedTs(ts: number, sentAt: number | undefined, receivedAt: number): number {
  return ts + skewCorrection(sentAt, receivedAt);
}
