import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_VALIDATE, validateEvent } from '../common/event-validator.js';
import { fleet, readTruth } from './helpers/fleet.js';
import { keyed, readUploads, recount, type Received, type Recount } from './helpers/recount.js';
import type { GroundTruth } from '../sdk-mock/ground-truth.js';

describe('an independent recount of the written uploads', () => {
  let dir = '';
  let truth: GroundTruth;
  let uploads: Received[];
  let rc: Recount;

  before(async () => {
    // Rates raised above the defaults so every effect shows up many times in a small fleet.
    ({ dir } = await fleet({ devices: 1200, apps: 8, days: 10, skewRate: 0.15, legacyRate: 0.1, lossRate: 0.1, offlineRate: 0.05 }));
    truth = readTruth(dir);
    uploads = readUploads(dir);
    rc = recount(uploads);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('finds the same events by type, unique devices, sessions and gaps per app, day and platform', () => {
    const mine = keyed(rc.truthLike.app_days, (r) => `${r.app_id}|${r.day}|${r.platform}`);
    const theirs = keyed(truth.app_days, (r) => `${r.app_id}|${r.day}|${r.platform}`);
    assert.equal(mine.size, theirs.size);
    for (const [k, row] of theirs) assert.deepEqual(mine.get(k), row, `row ${k}`);
    assert.ok(truth.app_days.some((r) => r.seq_gaps > 0), 'the fleet has sequence gaps');
    assert.ok(truth.app_days.every((r) => r.sessions >= 0 && r.session_ms >= 0));
  });

  test('finds the same events, ads and sessions per app, day and country or app version', () => {
    const k = (r: GroundTruth['app_day_dims'][number]) => `${r.app_id}|${r.day}|${r.dim}|${r.value}`;
    assert.deepEqual(keyed(rc.truthLike.app_day_dims, k), keyed(truth.app_day_dims, k));
    assert.ok(new Set(truth.app_day_dims.filter((r) => r.dim === 'country').map((r) => r.value)).size > 3, 'several countries');
    assert.ok(truth.app_day_dims.some((r) => r.dim === 'app_version' && r.sessions > 0));
  });

  test('finds the same impressions and clicks per campaign and day', () => {
    const mine = keyed(rc.truthLike.campaign_days, (r) => `${r.campaign_id}|${r.day}`);
    const theirs = keyed(truth.campaign_days, (r) => `${r.campaign_id}|${r.day}`);
    assert.deepEqual(mine, theirs);
    assert.ok(truth.campaign_days.some((r) => r.clicks > 0));
  });

  test('finds the same impressions and clicks per campaign, app and day (the money truth)', () => {
    const mine = keyed(rc.truthLike.money.campaign_app_days, (r) => `${r.campaign_id}|${r.app_id}|${r.day}`);
    const theirs = keyed(truth.money.campaign_app_days, (r) => `${r.campaign_id}|${r.app_id}|${r.day}`);
    assert.deepEqual(mine, theirs);
    assert.ok(truth.money.campaign_app_days.some((r) => r.clicks > 0));
  });

  test('finds the same counts per custom event name, prop and value', () => {
    const k = (r: { app_id: string; name: string; prop: string; value: string }) => `${r.app_id}|${r.name}|${r.prop}|${r.value}`;
    assert.deepEqual(keyed(rc.truthLike.custom, k), keyed(truth.custom, k));
  });

  test('finds the same audience: active, new and returning devices, cohorts on +1/+7/+30 and devices per app version, per app and day', () => {
    assert.deepEqual(keyed(rc.truthLike.audience_days, (r) => `${r.app_id}|${r.day}`), keyed(truth.audience_days, (r) => `${r.app_id}|${r.day}`));
    assert.deepEqual(keyed(rc.truthLike.app_versions, (r) => `${r.app_id}|${r.day}|${r.app_version}`), keyed(truth.app_versions, (r) => `${r.app_id}|${r.day}|${r.app_version}`));
    assert.ok(truth.audience_days.some((r) => r.d7 > 0) && truth.audience_days.some((r) => r.returning > 0));
  });

  test('finds the same totals and lateness', () => {
    const { skewed_devices, long_offline_devices, late_devices, ...t } = truth.totals;
    const { skewed_devices: _a, long_offline_devices: _b, late_devices: _c, ...m } = rc.truthLike.totals;
    assert.deepEqual(m, t);
    assert.equal(rc.truthLike.totals.devices, truth.totals.devices);
    assert.deepEqual(rc.truthLike.lateness_days, truth.lateness_days);
    assert.ok(truth.totals.legacy_events > 0 && truth.totals.duplicates_sent > 0 && truth.totals.lost_on_device > 0);
    assert.ok(skewed_devices > 0 && long_offline_devices > 0 && late_devices >= long_offline_devices);
  });

  test('every event it wrote passes the event contract, skewed clocks and 100-day-late devices included', () => {
    let checked = 0;
    for (const { body, receivedAt } of uploads) {
      for (const e of body.events) {
        const why = validateEvent({ ...body.device, sent_at: body.sent_at, ...e }, { ...DEFAULT_VALIDATE, receivedAt });
        assert.equal(why, null, `event ${JSON.stringify(e)}: ${JSON.stringify(why)}`);
        checked++;
      }
    }
    assert.equal(checked, truth.totals.sent);
  });
});
