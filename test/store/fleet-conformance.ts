/**
 * The fleet delivery part of the report store's conformance suite (store/fleet.ts): one set of
 * tests every backend must pass; test/store.test.ts runs it against SqliteStore and MysqlStore
 * (a real MariaDB), with the same harness as store/conformance.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeRunner, type ConformanceHarness } from './conformance.js';
import { rejectsWith } from './fixtures.js';

export function fleetConformance(h: ConformanceHarness): void {
  const withStore = storeRunner(h);

  describe(`fleet delivery store conformance (${h.name})`, () => {
    it('sums every node into totals; live figures until they expire, dead node or not; traffic only from nodes inside the lease', () =>
      withStore(async (s) => {
        await s.publishAdUnits('ads-a', [{ unit_key: 'li_1', decided: 100, decided_live: 10, live_until: 10_000, eligible_rate: 5.5 }, { unit_key: 'li_1|US', decided: 7, decided_live: 7, live_until: 10_000, eligible_rate: 1 }], 1000);
        await s.publishAdUnits('ads-b', [{ unit_key: 'li_1', decided: 40, decided_live: 4, live_until: 10_000, eligible_rate: 2.25 }], 5000);
        await s.publishImpressions('trk-a', [{ line_item_id: 'li_1', impressions: 90, impressions_live: 8, live_until: 2000 }], 1000);
        await s.publishImpressions('trk-b', [{ line_item_id: 'li_1', impressions: 30, impressions_live: 3, live_until: 10_000 }], 5000);
        const all = await s.fleetDelivery(0, 0);
        assert.equal(all.nodes, 2);
        assert.deepEqual(all.units.get('li_1'), { decided: 140, decided_live: 14, eligible_rate: 7.75 });
        assert.deepEqual(all.units.get('li_1|US'), { decided: 7, decided_live: 7, eligible_rate: 1 });
        assert.deepEqual(all.impressions.get('li_1'), { impressions: 120, impressions_live: 11 });
        // Node a is past the lease: its traffic goes, its totals and still-live decisions stay. Tracking a's live impressions expired at 2000.
        const later = await s.fleetDelivery(3000, 3000);
        assert.equal(later.nodes, 1);
        assert.deepEqual(later.units.get('li_1'), { decided: 140, decided_live: 14, eligible_rate: 2.25 });
        assert.deepEqual(later.impressions.get('li_1'), { impressions: 120, impressions_live: 3 });
        // Once every token expired nothing is live.
        const after = await s.fleetDelivery(3000, 10_000);
        assert.deepEqual(after.units.get('li_1'), { decided: 140, decided_live: 0, eligible_rate: 2.25 });
        assert.equal(after.impressions.get('li_1')!.impressions_live, 0);
      }));

    it('sets a node\'s rows whole (writing again leaves the same numbers) and stamps all its rows', () =>
      withStore(async (s) => {
        const many = Array.from({ length: 450 }, (_, i) => ({ unit_key: `li_${i}`, decided: i, decided_live: 0, live_until: 0, eligible_rate: 0 }));
        await s.publishAdUnits('ads-a', many, 1000);
        await s.publishAdUnits('ads-a', many, 1000);
        assert.equal((await s.fleetDelivery(0, 0)).units.get('li_449')!.decided, 449);
        // A later write of fewer units still marks the node alive on every row it has.
        await s.publishAdUnits('ads-a', [{ unit_key: 'li_1', decided: 3, decided_live: 2, live_until: 99_000, eligible_rate: 1 }], 9000);
        const f = await s.fleetDelivery(9000, 9000);
        assert.equal(f.nodes, 1);
        assert.deepEqual(f.units.get('li_1'), { decided: 3, decided_live: 2, eligible_rate: 1 });
        assert.equal(f.units.get('li_449')!.decided, 449);
        assert.equal(await s.pruneFleet(9001), 450);
        assert.equal((await s.fleetDelivery(0, 0)).units.size, 0);
      }));

    it('refuses bad node ids, keys and counts with the reason, writing nothing', () =>
      withStore(async (s) => {
        await rejectsWith(s.publishAdUnits('bad node', [], 1), 'STORE_ERR_INVALID');
        await rejectsWith(s.publishAdUnits('ads-a', [{ unit_key: "li'; --", decided: 1, decided_live: 0, live_until: 0, eligible_rate: 0 }], 1), 'STORE_ERR_INVALID');
        await rejectsWith(s.publishAdUnits('ads-a', [{ unit_key: 'li_1', decided: -1, decided_live: 0, live_until: 0, eligible_rate: 0 }], 1), 'STORE_ERR_INVALID');
        await rejectsWith(s.publishImpressions('trk-a', [{ line_item_id: 'li_1', impressions: 1.5, impressions_live: 0, live_until: 0 }], 1), 'STORE_ERR_INVALID');
        await rejectsWith(s.fleetDelivery(Number.NaN, 0), 'STORE_ERR_INVALID');
        assert.equal((await s.fleetDelivery(0, 0)).units.size, 0);
      }));
  });
}
