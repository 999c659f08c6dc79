/**
 * Conformance of the reporting UI's extra reads (store/filter-sql.ts, health-sql.ts,
 * inventory-sql.ts) on every backend: filtered totals equal sums over the hourly facts, the
 * health counts and pages equal what was written, slot days equal the campaign facts.
 * test/store.test.ts runs it against SqliteStore and MysqlStore (a real MariaDB).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from '../../common/time.js';
import { storeRunner, type ConformanceHarness } from './conformance.js';
import { appDay, D0, D1, D2, dayStart } from './fact-fixtures.js';
import { H, rejectsWith } from './fixtures.js';

const A = 'app_a';
const B = 'app_b';
const t0 = dayStart(D0);
const t1 = dayStart(D1);

export function uiReadConformance(h: ConformanceHarness): void {
  const withStore = storeRunner(h);

  describe(`report store UI reads (${h.name})`, () => {
    it('answers filtered hours, days and breakdowns exactly as sums over the hourly facts matching the filter', () =>
      withStore(async (s) => {
        const facts = [appDay(A, D0), appDay(A, D1, 2), appDay(B, D0, 3), appDay(A, D2, 4)];
        for (const f of facts) await s.replaceAppDay(f.hourly[0]!.app_id, f.hourly[0]!.day, f, 'run_1', t1);
        // Reload one day with other numbers: the rollups by filter dimension follow.
        facts[1] = appDay(A, D1, 6);
        await s.replaceAppDay(A, D1, facts[1], 'run_2', t1);
        const hourly = facts.flatMap((f) => f.hourly).filter((r) => r.app_id === A);
        for (const f of [{ dim: 'platform', value: 'ios' }, { dim: 'platform', value: 'android' }, { dim: 'country', value: 'US' }, { dim: 'app_version', value: '2.1.0' }] as const) {
          const match = hourly.filter((r) => r[f.dim] === f.value);
          const byHour = new Map<number, number>();
          const byDay = new Map<string, number>();
          for (const r of match) byHour.set(r.hour, (byHour.get(r.hour) ?? 0) + r.events), byDay.set(r.day, (byDay.get(r.day) ?? 0) + r.sessions);
          assert.deepEqual((await s.filteredHours([A], f, t0, t0 + 3 * DAY_MS)).map((x) => [x.t, x.events]), [...byHour].sort((a, b) => a[0] - b[0]), `${f.dim} hours`);
          assert.deepEqual((await s.filteredDays([A], f, D0, D2)).map((x) => [x.t, x.sessions]), [...byDay].sort(), `${f.dim} days`);
          const byOs = new Map<string, number>();
          for (const r of match.filter((r) => r.hour >= t0 + H && r.hour <= t1 + 5 * H)) byOs.set(r.os_version, (byOs.get(r.os_version) ?? 0) + r.ad_impression);
          assert.deepEqual(new Map((await s.filteredDimensionTotals([A], 'os_version', f, t0 + H, t1 + 5 * H)).map((x) => [x.value, x.ad_impression])), byOs, `${f.dim} by os`);
        }
        assert.deepEqual(await s.filteredDays([], { dim: 'platform', value: 'ios' }, D0, D2), []);
        await rejectsWith(s.filteredHours([A], { dim: 'device_model' as never, value: 'x' }, t0, t1), 'STORE_ERR_INVALID');
        await rejectsWith(s.filteredDimensionTotals([A], 'os_version; DROP TABLE x' as never, { dim: 'platform', value: 'ios' }, t0, t1), 'STORE_ERR_INVALID');
      }));

    it('counts quarantined rows and restated hours per app and day, and pages the health lists with their totals', () =>
      withStore(async (s) => {
        await s.replaceAppDay(A, D0, appDay(A, D0), 'run_1', t1);
        await s.replaceAppDay(A, D0, appDay(A, D0, 9), 'run_2', t1 + 10);
        const restated = await s.restatements({ app_id: A });
        assert.ok(restated.length > 0);
        await s.recordQuarantine([
          { lake_key: 'q/1', source: 'jobs', app_id: A, day: D0, reason: 'too_long', row_count: 3, detail: 'd', at: t1 + 1 },
          { lake_key: 'q/2', source: 'jobs', app_id: A, day: D0, reason: 'lone_surrogate', row_count: 4, detail: 'd', at: t1 + 2 },
          { lake_key: 'q/3', source: 'pipeline', app_id: B, day: D1, reason: 'too_long', row_count: 5, detail: 'd', at: t1 + 3 },
          { lake_key: 'q/4', source: 'pipeline', app_id: '', day: '', reason: 'bad_app_id', row_count: 6, detail: 'd', at: t1 + 4 },
        ]);
        const hours = new Set(restated.map((r) => r.hour)).size;
        const counts = await s.appDayHealth([A, B], D0, D2);
        assert.deepEqual(counts.sort((x, y) => (x.app_id < y.app_id ? -1 : 1)), [
          { app_id: A, day: D0, quarantined_rows: 7, restated_hours: hours },
          { app_id: B, day: D1, quarantined_rows: 5, restated_hours: 0 },
        ]);
        assert.deepEqual(await s.appDayHealth([B], D0, D0), []);
        const all = await s.quarantinedPage({ limit: 10, offset: 0 });
        assert.equal(all.total, 4);
        assert.deepEqual(all.rows.map((r) => r.lake_key), ['q/4', 'q/3', 'q/2', 'q/1']);
        assert.deepEqual(await s.quarantinedPage({ appIds: [A], limit: 1, offset: 1 }), { total: 2, rows: [all.rows[3]] });
        assert.deepEqual(await s.quarantinedPage({ appIds: [], limit: 1, offset: 0 }), { total: 0, rows: [] });
        assert.equal((await s.quarantinedPage({ limit: 10, offset: 0, since: t1 + 3 })).total, 2);
        const page = await s.restatementsPage({ appIds: [A], limit: 2, offset: 1 });
        assert.equal(page.total, restated.length);
        assert.deepEqual(page.rows, restated.slice(1, 3));
        const r1 = await s.startJobRun('aggregate', 'p1', t1);
        const r2 = await s.startJobRun('aggregate', 'p2', t1 + 5);
        await s.finishJobRun(r1, 'succeeded', t1 + 1, 10, null);
        const runs = await s.jobRunsPage({ limit: 1, offset: 0 });
        assert.equal(runs.total, 2);
        assert.equal(runs.rows[0]!.id, r2);
        assert.equal((await s.jobRunsPage({ limit: 1, offset: 1 })).rows[0]!.row_count, 10);
        await rejectsWith(s.quarantinedPage({ limit: 0, offset: 0 }), 'STORE_ERR_INVALID');
        await rejectsWith(s.jobRunsPage({ limit: 1, offset: -1 }), 'STORE_ERR_INVALID');
      }));

    it('sums requests and impressions per app, slot and day as the campaign facts', () =>
      withStore(async (s) => {
        const facts = [appDay(A, D0), appDay(A, D1, 2), appDay(B, D0, 3)];
        for (const f of facts) await s.replaceAppDay(f.hourly[0]!.app_id, f.hourly[0]!.day, f, 'run_1', t1);
        const want = new Map<string, [number, number]>();
        for (const c of facts.flatMap((f) => f.campaign).filter((c) => c.app_id === A)) {
          const k = `${c.day}|${c.slot_id}`;
          const w = want.get(k) ?? [0, 0];
          want.set(k, [w[0] + c.requests, w[1] + c.impressions]);
        }
        const got = await s.slotDays([A], D0, D2);
        assert.deepEqual(new Map(got.map((r) => [`${r.day}|${r.slot_id}`, [r.requests, r.impressions]])), want);
        assert.ok(got.every((r) => r.app_id === A));
        assert.deepEqual(await s.slotDays([], D0, D2), []);
      }));
  });
}
