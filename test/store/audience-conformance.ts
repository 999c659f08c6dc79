/**
 * The audience part of the report store's conformance suite (store/audience.ts): whole-app
 * replaces of the audience rows, day-range replaces of the app-version rows, their reads and
 * the rows they refuse. test/store.test.ts runs it against SqliteStore and MysqlStore.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppVersionDailyRow, AudienceDayRow } from '../../store/audience.js';
import { storeRunner, type ConformanceHarness } from './conformance.js';
import { rejectsWith } from './fixtures.js';

const day = (app_id: string, d: string, devices: number, new_devices: number, d1 = 0, d7 = 0, d30 = 0): AudienceDayRow => ({ app_id, day: d, devices, new_devices, d1, d7, d30 });
const ver = (app_id: string, d: string, app_version: string, devices: number): AppVersionDailyRow => ({ app_id, day: d, app_version, devices });

export function audienceConformance(h: ConformanceHarness): void {
  const withStore = storeRunner(h);

  describe(`audience store conformance (${h.name})`, () => {
    it("replaces an app's audience rows whole, leaves other apps', and reads them by day with the last active day", () =>
      withStore(async (s) => {
        assert.equal(await s.audienceLastDay('app_a'), null);
        const a = [day('app_a', '2026-03-01', 10, 10, 4, 2, 1), day('app_a', '2026-03-02', 7, 3, 1), day('app_a', '2026-03-31', 2, 0)];
        await s.replaceAudience('app_a', a);
        await s.replaceAudience('app_b', [day('app_b', '2026-03-01', 5, 5)]);
        assert.deepEqual(await s.audienceDays('app_a', '2026-03-01', '2026-03-31'), a);
        assert.deepEqual(await s.audienceDays('app_a', '2026-03-02', '2026-03-02'), [a[1]]);
        assert.equal(await s.audienceLastDay('app_a'), '2026-03-31');
        // A late device moved a cohort: the new rows replace every old one of the app, days absent now go.
        const b = [day('app_a', '2026-02-28', 1, 1, 1), day('app_a', '2026-03-01', 11, 10, 4, 2, 1)];
        await s.replaceAudience('app_a', b);
        await s.replaceAudience('app_a', b);
        assert.deepEqual(await s.audienceDays('app_a', '2026-01-01', '2026-12-31'), b);
        assert.equal(await s.audienceLastDay('app_a'), '2026-03-01');
        assert.deepEqual(await s.audienceDays('app_b', '2026-01-01', '2026-12-31'), [day('app_b', '2026-03-01', 5, 5)]);
        for (const [, v] of Object.entries((await s.audienceDays('app_a', '2026-03-01', '2026-03-01'))[0]!)) assert.ok(typeof v === 'string' || Number.isInteger(v));
      }));

    it('replaces the app-version rows of a day range and reads them by day then version', () =>
      withStore(async (s) => {
        await s.replaceAppVersions('app_a', '2026-03-01', '2026-03-02', [ver('app_a', '2026-03-01', '2.0.1', 3), ver('app_a', '2026-03-01', '1.9.0', 5), ver('app_a', '2026-03-02', '2.0.1', 4)]);
        await s.replaceAppVersions('app_a', '2026-03-02', '2026-03-02', [ver('app_a', '2026-03-02', '2.0.1', 6), ver('app_a', '2026-03-02', '', 1)]);
        assert.deepEqual(await s.appVersions('app_a', '2026-03-01', '2026-03-02'), [
          ver('app_a', '2026-03-01', '1.9.0', 5), ver('app_a', '2026-03-01', '2.0.1', 3), ver('app_a', '2026-03-02', '', 1), ver('app_a', '2026-03-02', '2.0.1', 6),
        ]);
        assert.deepEqual(await s.appVersions('app_b', '2026-03-01', '2026-03-02'), []);
      }));

    it('refuses rows of another app, outside the days, with a fractional count or a version longer than its column, and keeps the old rows', () =>
      withStore(async (s) => {
        await s.replaceAudience('app_a', [day('app_a', '2026-03-01', 1, 1)]);
        await rejectsWith(s.replaceAudience('app_a', [day('app_b', '2026-03-01', 1, 1)]), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceAudience('app_a', [day('app_a', '2026-03-01', 1.5, 1)]), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceAppVersions('app_a', '2026-03-01', '2026-03-01', [ver('app_a', '2026-03-02', '1.0', 1)]), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceAppVersions('app_a', '2026-03-01', '2026-03-01', [ver('app_a', '2026-03-01', 'x'.repeat(33), 1)]), 'STORE_ERR_INVALID');
        await rejectsWith(s.audienceDays('app_a', 'yesterday', '2026-03-01'), 'STORE_ERR_INVALID');
        assert.deepEqual(await s.audienceDays('app_a', '2026-03-01', '2026-03-01'), [day('app_a', '2026-03-01', 1, 1)]);
      }));
  });
}
