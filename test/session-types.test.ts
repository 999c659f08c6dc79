/**
 * The session rules by where an event came from (common/sessions.ts, sessionType): Segment-spec
 * SDKs' events follow activity, ad beacons never keep a session open across a gap, native SDK
 * events keep the native rules; and the jobs' per-device state agrees (device-sessions.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_BEACON, sessionize, sessionType } from '../common/sessions.js';
import { appendDays, lastEvent } from '../jobs/device-sessions.js';

const T = 1_790_000_000_000;
const S = 1000;
const sessions = (events: [string, string, number][]) => sessionize(events.map(([type, source, ts]) => ({ type: sessionType(type, source), ts })), 30 * S);

describe('session rules by source', () => {
  it('split a Segment-spec app\'s activity at a gap over the timeout, even when an ad beacon was the last event before it', () => {
    const out = sessions([['custom', 'segment', T], ['ad_impression', 'beacon', T + 5 * S], ['custom', 'segment', T + 600 * S], ['custom', 'segment', T + 605 * S]]);
    assert.deepEqual(out.map((x) => [x.start - T, x.end - T]), [[0, 35 * S], [600 * S, 635 * S]]);
  });

  it('keep a native session open through a quiet minute, beacon or not', () => {
    const out = sessions([['app_open', 'sdk', T], ['ad_impression', 'beacon', T + 5 * S], ['custom', 'sdk', T + 65 * S]]);
    assert.deepEqual(out.map((x) => [x.start - T, x.end - T]), [[0, 95 * S]]);
  });

  it('end a native session backgrounded before a late beacon once the timeout passes', () => {
    const out = sessions([['app_open', 'sdk', T], ['app_background', 'sdk', T + 10 * S], ['ad_impression', 'beacon', T + 12 * S], ['custom', 'sdk', T + 100 * S]]);
    assert.deepEqual(out.map((x) => [x.start - T, x.end - T]), [[0, 42 * S], [100 * S, 130 * S]]);
  });

  it('let the dedupe state carry the type before trailing beacons, so a later run splits as one walk would', () => {
    const types = [sessionType('custom', 'segment'), SESSION_BEACON];
    assert.equal(lastEvent({ seq: [Number.NaN, Number.NaN], time: [T, T + 5 * S], type: types })[2], 1);
    const first = appendDays(undefined, { seq: [Number.NaN, Number.NaN], time: [T, T + 5 * S], type: types }, 30 * S, new Map(), new Set());
    // A run with only a beacon keeps the state's background; the next run's event after the gap starts a new session, leaving the old one untouched.
    const second = appendDays(first, { seq: [Number.NaN], time: [T + 6 * S], type: [SESSION_BEACON] }, 30 * S, new Map(), new Set());
    assert.equal(second.t[2], 1);
    const changed = new Set<number>();
    appendDays(second, { seq: [Number.NaN], time: [T + 600 * S], type: [sessionType('custom', 'segment')] }, 30 * S, new Map(), changed);
    assert.equal(changed.size, 0, 'the earlier session is not changed by an event after the gap');
  });
});
