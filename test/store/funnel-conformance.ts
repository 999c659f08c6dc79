/**
 * The funnel and reach part of the report store's conformance suite (store/funnels.ts): one
 * set of tests every backend must pass; test/store.test.ts runs it against SqliteStore and
 * MysqlStore (a real MariaDB), with the same harness as store/conformance.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hll } from '../../common/hll.js';
import { storeRunner, type ConformanceHarness } from './conformance.js';
import { rejectsWith } from './fixtures.js';
import type { CampaignReachRow, FunnelDailyRow } from '../../store/funnels.js';
import type { ReportStore } from '../../store/store.js';

const D0 = '2026-03-01';
const D1 = '2026-03-02';

async function twoApps(s: ReportStore): Promise<void> {
  await s.createPublisher({ id: 'pub_f', name: 'Funnels' });
  for (const id of ['app_f1', 'app_f2']) await s.createApp({ id, publisher_id: 'pub_f', name: id, platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
}

const sketch = (ids: string[]): string => {
  const h = new Hll();
  for (const id of ids) h.add(id);
  return h.toBase64();
};
const steps = (app_id: string, day: string, funnel_id: string, devices: number[]): FunnelDailyRow[] => devices.map((n, i) => ({ app_id, day, funnel_id, step: i + 1, devices: n }));
const reach = (app_id: string, day: string, campaign_id: string, impressions: number, ids: string[]): CampaignReachRow => ({ app_id, day, campaign_id, impressions, devices_hll: sketch(ids) });

export function funnelConformance(h: ConformanceHarness): void {
  const withStore = storeRunner(h);

  describe(`funnel and reach store conformance (${h.name})`, () => {
    it('creates, lists, reads and deletes funnels; refuses bad ones and unknown apps', () =>
      withStore(async (s) => {
        await twoApps(s);
        const a = await s.createFunnel({ id: 'fnl_1', app_id: 'app_f1', name: ' Buy ', steps: ['view', 'cart', 'buy'] }, 1000);
        assert.deepEqual(a, { id: 'fnl_1', app_id: 'app_f1', name: 'Buy', steps: ['view', 'cart', 'buy'], created_at: 1000 });
        const b = await s.createFunnel({ app_id: 'app_f1', name: 'Twice', steps: ['level', 'level'] }, 2000);
        assert.match(b.id, /^fnl_/);
        await s.createFunnel({ app_id: 'app_f2', name: 'Other', steps: ['a', 'b'] }, 500);
        assert.deepEqual(await s.listFunnels('app_f1'), [a, b]);
        assert.deepEqual(await s.getFunnel('fnl_1'), a);
        await rejectsWith(s.createFunnel({ id: 'fnl_1', app_id: 'app_f1', name: 'again', steps: ['a', 'b'] }), 'STORE_ERR_CONFLICT');
        await rejectsWith(s.createFunnel({ app_id: 'app_f1', name: 'short', steps: ['a'] }), 'STORE_ERR_INVALID');
        await rejectsWith(s.createFunnel({ app_id: 'app_f1', name: 'long', steps: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }), 'STORE_ERR_INVALID');
        await rejectsWith(s.createFunnel({ app_id: 'app_f1', name: '', steps: ['a', 'b'] }), 'STORE_ERR_INVALID');
        await rejectsWith(s.createFunnel({ app_id: 'app_nope', name: 'x', steps: ['a', 'b'] }), 'STORE_ERR_INVALID');
        await s.deleteFunnel(b.id);
        assert.deepEqual(await s.listFunnels('app_f1'), [a]);
        await rejectsWith(s.deleteFunnel(b.id), 'STORE_ERR_NOT_FOUND');
        // Deleting the app takes its funnels.
        await s.deleteApp('app_f2');
        assert.deepEqual(await s.listFunnels('app_f2'), []);
      }));

    it('replaces the funnel and reach rows of an app-day idempotently and reads them by funnel and campaign', () =>
      withStore(async (s) => {
        await twoApps(s);
        await s.createFunnel({ id: 'fnl_1', app_id: 'app_f1', name: 'Buy', steps: ['view', 'buy'] });
        await s.createFunnel({ id: 'fnl_2', app_id: 'app_f2', name: 'Buy', steps: ['view', 'buy'] });
        const f1 = [...steps('app_f1', D0, 'fnl_1', [10, 4])];
        const r1 = [reach('app_f1', D0, 'cmp_1', 7, ['d1', 'd2', 'd3'])];
        await s.replaceFunnelReachDay('app_f1', D0, f1, r1);
        await s.replaceFunnelReachDay('app_f1', D0, f1, r1);
        await s.replaceFunnelReachDay('app_f1', D1, steps('app_f1', D1, 'fnl_1', [5, 5]), [reach('app_f1', D1, 'cmp_1', 2, ['d1'])]);
        await s.replaceFunnelReachDay('app_f2', D0, steps('app_f2', D0, 'fnl_2', [3, 1]), [reach('app_f2', D0, 'cmp_1', 4, ['e1', 'e2']), reach('app_f2', D0, 'cmp_2', 1, ['e1'])]);
        assert.deepEqual(await s.funnelDaily('fnl_1', D0, D1), [...f1, ...steps('app_f1', D1, 'fnl_1', [5, 5])]);
        assert.deepEqual(await s.funnelDaily('fnl_1', D1, D1), steps('app_f1', D1, 'fnl_1', [5, 5]));
        // Reach is read per campaign and day over every app.
        const got = await s.campaignReach('cmp_1', D0, D1);
        assert.deepEqual(got.map((r) => [r.campaign_id, r.day, r.impressions]), [['cmp_1', D0, 11], ['cmp_1', D1, 2]]);
        assert.equal(Math.round(Hll.fromBase64(got[0]!.devices_hll).estimate()), 5, 'd1, d2, d3, e1, e2');
        const all = new Hll();
        for (const r of got) all.merge(Hll.fromBase64(r.devices_hll));
        assert.equal(Math.round(all.estimate()), 5, 'd1 on both days counts once');
        assert.deepEqual((await s.campaignReach('cmp_2', D0, D1)).map((r) => [r.day, r.impressions]), [[D0, 1]]);
        // A reload with more devices and impressions: the total follows exactly.
        await s.replaceFunnelReachDay('app_f1', D0, f1, [reach('app_f1', D0, 'cmp_1', 9, ['d1', 'd2', 'd3', 'd4'])]);
        const again = (await s.campaignReach('cmp_1', D0, D0))[0]!;
        assert.equal(again.impressions, 13);
        assert.equal(Math.round(Hll.fromBase64(again.devices_hll).estimate()), 6);
        // A new load of the day replaces both tables' rows of that app-day only; rows of a funnel deleted meanwhile are dropped.
        await s.replaceFunnelReachDay('app_f1', D0, [...steps('app_f1', D0, 'fnl_1', [9, 3]), ...steps('app_f1', D0, 'fnl_gone', [1, 1])], []);
        assert.deepEqual(await s.funnelDaily('fnl_1', D0, D0), steps('app_f1', D0, 'fnl_1', [9, 3]));
        assert.deepEqual(await s.funnelDaily('fnl_gone', D0, D1), []);
        // The campaign left app_f1's day: its total is app_f2's alone again; a campaign left by every app has no total.
        const left = await s.campaignReach('cmp_1', D0, D0);
        assert.deepEqual(left.map((r) => r.impressions), [4]);
        assert.equal(Math.round(Hll.fromBase64(left[0]!.devices_hll).estimate()), 2, 'e1, e2');
        await s.replaceFunnelReachDay('app_f2', D0, [], []);
        assert.deepEqual(await s.campaignReach('cmp_1', D0, D0), []);
        assert.deepEqual(await s.campaignReach('cmp_2', D0, D0), []);
        // Deleting a funnel takes its rows.
        await s.deleteFunnel('fnl_1');
        assert.deepEqual(await s.funnelDaily('fnl_1', D0, D1), []);
      }));

    it('refuses funnel and reach rows of another app or day, bad counts and sketches, leaving the old rows', () =>
      withStore(async (s) => {
        await twoApps(s);
        await s.createFunnel({ id: 'fnl_1', app_id: 'app_f1', name: 'Buy', steps: ['view', 'buy'] });
        const good = steps('app_f1', D0, 'fnl_1', [2, 1]);
        await s.replaceFunnelReachDay('app_f1', D0, good, []);
        await rejectsWith(s.replaceFunnelReachDay('app_f1', D0, steps('app_f2', D0, 'fnl_1', [1, 1]), []), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceFunnelReachDay('app_f1', D0, steps('app_f1', D1, 'fnl_1', [1, 1]), []), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceFunnelReachDay('app_f1', D0, steps('app_f1', D0, 'fnl_1', [-1, 1.5]), []), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceFunnelReachDay('app_f1', D0, [], [{ ...reach('app_f1', D0, 'cmp_1', 1, ['d']), devices_hll: 'not a sketch' }]), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceFunnelReachDay('app_f1', 'yesterday', [], []), 'STORE_ERR_INVALID');
        assert.deepEqual(await s.funnelDaily('fnl_1', D0, D0), good);
      }));
  });
}
