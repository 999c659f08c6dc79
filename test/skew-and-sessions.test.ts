import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closedSession, sessionize, stepSession } from '../common/sessions.js';
import { correctedTs, skewCorrection } from '../common/skew.js';
import { HOUR_MS, MINUTE_MS } from '../common/time.js';

describe('skew correction', () => {
  const recv = Date.UTC(2026, 0, 1);
  test('treats differences under two minutes as transit time', () => {
    assert.equal(skewCorrection(recv - 90_000, recv), 0);
    assert.equal(skewCorrection(recv + 90_000, recv), 0);
    assert.equal(skewCorrection(undefined, recv), 0);
  });
  test('removes a clock offset exactly even when transit took seconds', () => {
    const skew = -3 * HOUR_MS - 7 * MINUTE_MS;
    const sentAt = recv - 4_000 + skew; // sent four seconds before it arrived, on a clock 3h07 behind
    assert.equal(skewCorrection(sentAt, recv), -skew);
    assert.equal(correctedTs(Date.UTC(2025, 11, 31, 23, 59, 59) + skew, sentAt, recv), Date.UTC(2025, 11, 31, 23, 59, 59));
  });
});

describe('sessions', () => {
  const ev = (type: string, s: number) => ({ type, ts: s * 1000 });
  test('an open and a close make one session of their distance', () => {
    assert.deepEqual(sessionize([ev('app_open', 0), ev('custom', 10), ev('app_close', 60)]), [{ start: 0, end: 60_000, closed: true }]);
  });
  test('a background of at most 30 s followed by a foreground continues the session', () => {
    const s = sessionize([ev('app_open', 0), ev('app_background', 10), ev('app_foreground', 40), ev('app_close', 50)]);
    assert.equal(s.length, 1);
    assert.equal(s[0]!.end, 50_000);
  });
  test('a longer background ends the session at the background plus the timeout and the foreground starts another', () => {
    const s = sessionize([ev('app_open', 0), ev('app_background', 10), ev('app_foreground', 41), ev('app_close', 50)]);
    assert.deepEqual(s, [
      { start: 0, end: 40_000, closed: false },
      { start: 41_000, end: 50_000, closed: true },
    ]);
  });
  test('a session with no close ends at its last event plus the timeout', () => {
    assert.deepEqual(sessionize([ev('app_open', 0), ev('custom', 5), ev('app_open', 3600), ev('app_close', 3601)]), [
      { start: 0, end: 35_000, closed: false },
      { start: 3_600_000, end: 3_601_000, closed: true },
    ]);
    assert.deepEqual(sessionize([ev('app_open', 0), ev('custom', 5)]), [{ start: 0, end: 35_000, closed: false }]);
  });
  test('a new open within the timeout ends the open session at that open, so sessions never overlap', () => {
    assert.deepEqual(sessionize([ev('app_open', 0), ev('custom', 5), ev('app_open', 20), ev('app_close', 30)]), [
      { start: 0, end: 20_000, closed: false },
      { start: 20_000, end: 30_000, closed: true },
    ]);
  });
  test('the timeout is configurable', () => {
    assert.equal(sessionize([ev('app_open', 0), ev('app_background', 10), ev('app_foreground', 50)], 60_000).length, 1);
  });
  test('one event at a time (stepSession) gives each event the session sessionize puts it in', () => {
    let x = 7;
    const next = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const types = ['app_open', 'app_close', 'app_background', 'app_foreground', 'custom', 'custom'];
    for (let round = 0; round < 200; round++) {
      let t = 0;
      const events = Array.from({ length: 30 }, () => ({ type: types[Math.floor(next() * types.length)]!, ts: (t += 1 + Math.floor(next() * 90_000)) }));
      const s = closedSession();
      const starts = events.map((e) => stepSession(s, e.type, e.ts, 30_000));
      // Each session's start is the start stepSession gives its first event, and no event names a start sessionize lacks.
      const want = sessionize(events).map((x) => x.start);
      assert.deepEqual([...new Set(starts.filter((v) => v >= 0))], want);
    }
  });
  test('events after a lost app_open still form a session, and a stray close makes none', () => {
    assert.deepEqual(sessionize([ev('custom', 0), ev('app_close', 20), ev('app_close', 30)]), [{ start: 0, end: 20_000, closed: true }]);
  });
});
