import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, HOUR_MS } from '../common/time.js';
import { AudienceUpdate } from '../jobs/device-cohorts.js';
import { appendDays, pruneDays, replaceDays, type DeviceEvents } from '../jobs/device-sessions.js';
import type { DeviceSeqs } from '../jobs/device-seqs.js';

/**
 * The audience the dedupe step keeps per app (jobs/device-cohorts.ts), on hand-made devices
 * with the real session-day functions: day +30 returns, a late event that moves a device's
 * first day earlier, and session days pruned to the retention, whatever the batches.
 */
const TIMEOUT = 30_000;
const D = 20_000;

/** One event a day at noon, each its own session. */
function events(days: number[], seq0: number): DeviceEvents {
  const ev: DeviceEvents = { seq: [], time: [], type: [] };
  days.forEach((d, i) => {
    ev.seq.push(seq0 + i);
    ev.time.push((D + d) * DAY_MS + 12 * HOUR_MS);
    ev.type.push('app_open');
  });
  return ev;
}

/** Feeds the batches of new days in order (each after the device's known days); answers the app's audience. */
function feed(devices: number[][][], keepDays: number): Record<string, number[]> {
  const a = new AudienceUpdate(undefined);
  for (const batches of devices) {
    const cur: DeviceSeqs = { platform: 'ios', iv: [] };
    let seq = 0;
    for (const days of batches) {
      const before = AudienceUpdate.before(cur);
      cur.s = appendDays(cur.s, events(days, seq), TIMEOUT, new Map(), new Set());
      seq += days.length;
      a.changed(cur, before);
      pruneDays(cur.s, keepDays);
    }
  }
  return relative(a.finish());
}

const relative = (x: Record<string, number[]>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [Number(k) - D, v]));

test('a device back on day +1, +7 and +30 counts in its cohort once per offset, in one batch or many, with days pruned between', () => {
  const days = [0, 1, 2, 7, 20, 30, 45];
  const want = { 0: [1, 1, 1, 1, 1], 1: [1, 0, 0, 0, 0], 2: [1, 0, 0, 0, 0], 7: [1, 0, 0, 0, 0], 20: [1, 0, 0, 0, 0], 30: [1, 0, 0, 0, 0], 45: [1, 0, 0, 0, 0] };
  assert.deepEqual(feed([[days]], 400), want);
  // Each day its own batch, keeping 5 days: day 0's days are long pruned when day 30 comes.
  assert.deepEqual(feed([days.map((d) => [d])], 5), want);
  // Two devices first seen the same day, one back on +7 only.
  assert.deepEqual(feed([[[0], [7]], [[0, 30]]], 3), { 0: [2, 2, 0, 1, 1], 7: [1, 0, 0, 0, 0], 30: [1, 0, 0, 0, 0] });
});

test("a late event before a device's first day moves it to an earlier cohort", () => {
  const a = new AudienceUpdate(undefined);
  const cur: DeviceSeqs = { platform: 'ios', iv: [] };
  let before = AudienceUpdate.before(cur);
  cur.s = appendDays(undefined, events([5, 6, 12], 10), TIMEOUT, new Map(), new Set());
  a.changed(cur, before);
  assert.deepEqual(relative(structuredClone(a.days)), { 5: [1, 1, 1, 1, 0], 6: [1, 0, 0, 0, 0], 12: [1, 0, 0, 0, 0] });
  // The late day 4 is walked again with day 5 (as session-reread.ts would): [day, in, out].
  before = AudienceUpdate.before(cur);
  cur.s = replaceDays(cur.s, D + 4, D + 5, [D + 4, D + 4, -1, D + 5, D + 5, -1], null, new Map());
  a.changed(cur, before);
  assert.deepEqual(relative(a.finish()), { 4: [1, 1, 1, 0, 0], 5: [1, 0, 0, 0, 0], 6: [1, 0, 0, 0, 0], 12: [1, 0, 0, 0, 0] });
});

test('days walked again that were pruned before (a session running across them) are not counted active twice', () => {
  const a = new AudienceUpdate(undefined);
  const cur: DeviceSeqs = { platform: 'ios', iv: [] };
  for (const [i, day] of [0, 1, 2, 3, 10].entries()) {
    const before = AudienceUpdate.before(cur);
    cur.s = appendDays(cur.s, events([day], i), TIMEOUT, new Map(), new Set());
    a.changed(cur, before);
    pruneDays(cur.s, 5);
  }
  assert.deepEqual(cur.s!.d.filter((_, k) => k % 3 === 0).map((d) => d - D), [3, 10], 'days 0 to 2 are pruned');
  const before = AudienceUpdate.before(cur);
  const walked = [0, 1, 2, 3, 8, 10].flatMap((d) => [D + d, D + d, -1]);
  cur.s = replaceDays(cur.s, D, D + 10, walked, null, new Map());
  a.changed(cur, before);
  assert.deepEqual(relative(a.finish()), { 0: [1, 1, 1, 0, 0], 1: [1, 0, 0, 0, 0], 2: [1, 0, 0, 0, 0], 3: [1, 0, 0, 0, 0], 8: [1, 0, 0, 0, 0], 10: [1, 0, 0, 0, 0] });
});
