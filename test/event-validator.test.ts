import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RejectCode } from '../common/errors.js';
import { DEFAULT_VALIDATE, validateEvent } from '../common/event-validator.js';
import { HOUR_MS, DAY_MS } from '../common/time.js';

const NOW = Date.UTC(2026, 5, 1, 12);
const opts = { ...DEFAULT_VALIDATE, receivedAt: NOW };
const good = {
  event_id: '01JABCDEF0123456789ABCDEFG', device_id: 'd-1', app_id: 'app_0001', seq: 7, type: 'app_open', ts: NOW - 60_000, sent_at: NOW,
  platform: 'ios', os_version: '18.1', app_version: '2.1.0', device_model: 'iPhone16,1', screen: '1179x2556', country: 'US', region: 'CA', locale: 'en-US',
};
const reject = (e: unknown) => validateEvent(e, opts);
/** The good event without one field, as JSON would carry it (no key at all). */
const without = (key: string): Record<string, unknown> => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));

describe('the event validator', () => {
  test('accepts a complete event and keeps fields it does not know', () => {
    const e = { ...good, sdk_build: 'x9', extra: { nested: true } };
    assert.equal(reject(e), null);
    assert.equal((e as Record<string, unknown>).sdk_build, 'x9');
  });

  test('accepts a legacy event without event_id and an event without sent_at', () => {
    const { event_id: _id, sent_at: _s, ...legacy } = good;
    assert.equal(reject(legacy), null);
  });

  const cases: [string, unknown, RejectCode, string][] = [
    ['a non-object', [1, 2], RejectCode.NOT_OBJECT, '(event)'],
    ['null', null, RejectCode.NOT_OBJECT, '(event)'],
    ['a missing device_id', without('device_id'), RejectCode.MISSING_FIELD, 'device_id'],
    ['a missing seq', without('seq'), RejectCode.MISSING_FIELD, 'seq'],
    ['a string where a number belongs', { ...good, ts: '1700000000000' }, RejectCode.BAD_TYPE, 'ts'],
    ['a number where a string belongs', { ...good, app_id: 12 }, RejectCode.BAD_TYPE, 'app_id'],
    ['a fractional seq', { ...good, seq: 1.5 }, RejectCode.BAD_VALUE, 'seq'],
    ['a negative seq', { ...good, seq: -1 }, RejectCode.BAD_VALUE, 'seq'],
    ['a huge timestamp', { ...good, ts: 1e300 }, RejectCode.BAD_VALUE, 'ts'],
    ['a malformed screen', { ...good, screen: 'big' }, RejectCode.BAD_VALUE, 'screen'],
    ['a lower-case country', { ...good, country: 'us' }, RejectCode.BAD_VALUE, 'country'],
    ['an unknown platform', { ...good, platform: 'symbian' }, RejectCode.BAD_VALUE, 'platform'],
    ['an unknown event type', { ...good, type: 'app_explode' }, RejectCode.UNKNOWN_TYPE, 'type'],
    ['an oversized device_id', { ...good, device_id: 'x'.repeat(10_000) }, RejectCode.FIELD_TOO_LONG, 'device_id'],
    ['an impression without its campaign', { ...good, type: 'ad_impression', slot_id: 's', creative_id: 'c' }, RejectCode.MISSING_AD_FIELDS, 'campaign_id'],
    ['an ad request without its slot', { ...good, type: 'ad_request' }, RejectCode.MISSING_AD_FIELDS, 'slot_id'],
    ['a custom event without a name', { ...good, type: 'custom', props: { a: 1 } }, RejectCode.MISSING_NAME, 'name'],
    ['nested props', { ...good, type: 'custom', name: 'x', props: { a: { b: 1 } } }, RejectCode.BAD_PROPS, 'props.a'],
    ['props that are not a map', { ...good, type: 'custom', name: 'x', props: [1] }, RejectCode.BAD_PROPS, 'props'],
    ['an event older than the retention', { ...good, ts: NOW - 401 * DAY_MS }, RejectCode.TOO_OLD, 'ts'],
    ['an event hours in the future', { ...good, ts: NOW + 3 * HOUR_MS }, RejectCode.IN_FUTURE, 'ts'],
  ];
  for (const [what, event, code, field] of cases) {
    test(`rejects ${what} with ${code} on ${field}`, () => {
      const why = reject(event);
      assert.ok(why, 'rejected');
      assert.equal(why.code, code);
      assert.equal(why.field, field);
      assert.ok(why.message.length > 5);
    });
  }

  test('judges age and future on the corrected clock, so a device set hours ahead is not in the future', () => {
    const skew = 5 * HOUR_MS;
    assert.equal(reject({ ...good, ts: NOW - 60_000 + skew, sent_at: NOW + skew }), null);
    assert.equal(reject({ ...good, ts: NOW - 60_000 + skew, sent_at: undefined })?.code, RejectCode.IN_FUTURE);
  });
});
