/**
 * The fact part of the report store's conformance suite (store/facts.ts): app-day loads and
 * restatements, attribution, delivery refresh, the report reads, job runs and locks. One set
 * of tests every backend must pass; test/store.test.ts runs it against SqliteStore and
 * MysqlStore (a real MariaDB), with the same harness as store/conformance.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS } from '../../common/time.js';
import { storeRunner, type ConformanceHarness } from './conformance.js';
import { splitAppDayFacts } from '../../store/fact-check.js';
import { appDay, attributionRow, customRow, D0, D1, D2, dayStart, hourly, touch } from './fact-fixtures.js';
import type { AppDayFacts, QuarantineRow, RestatementRow } from '../../store/facts.js';
import { H, rejectsWith } from './fixtures.js';
import type { ReportStore } from '../../store/store.js';

const A = 'app_a';
const B = 'app_b';
const t0 = dayStart(D0);
const t1 = dayStart(D1);
const t2end = () => dayStart(D2) + DAY_MS - H;
const NONE: AppDayFacts = { hourly: [], daily: [], campaign: [], custom: [], touches: [] };

/** Everything the readers give for one app-day, in the shape of a load. */
async function readDay(s: ReportStore, app: string, day: string): Promise<AppDayFacts> {
  const t = dayStart(day);
  return {
    hourly: await s.appHourly(app, t, t + DAY_MS - 1),
    daily: await s.appDaily(app, day, day),
    campaign: await s.campaignHourly({ app_id: app, fromHour: t, toHour: t + DAY_MS - H }),
    custom: await s.customDaily(app, day, day),
    touches: await s.touches(app, day, day),
  };
}

export function factConformance(h: ConformanceHarness): void {
  const withStore = storeRunner(h);

  describe(`fact store conformance (${h.name})`, () => {
    it('sums the money counts per app, campaign and line item (and slot) over an hour range, leaving ads with no line item out', () =>
      withStore(async (s) => {
        await s.replaceAppDay('app_m1', D0, appDay('app_m1', D0), 'run_m', dayStart(D0));
        await s.replaceAppDay('app_m2', D0, appDay('app_m2', D0, 2), 'run_m', dayStart(D0));
        const t = dayStart(D0);
        const key = (r: { app_id: string; line_item_id: string; slot_id: string }) => `${r.app_id}|${r.line_item_id}|${r.slot_id}`;
        const sorted = <T extends { app_id: string; line_item_id: string; slot_id: string }>(rows: T[]) => rows.sort((a, b) => (key(a) < key(b) ? -1 : 1));
        assert.deepEqual(sorted(await s.moneyCounts(['app_m1'], t, t + 23 * H, false)), [
          { app_id: 'app_m1', campaign_id: 'cmp_1', line_item_id: 'li_1', slot_id: '', impressions: 40, clicks: 5 },
          { app_id: 'app_m1', campaign_id: 'cmp_2', line_item_id: 'li_2', slot_id: '', impressions: 32, clicks: 4 },
        ]);
        assert.deepEqual(sorted(await s.moneyCounts(['app_m1'], t, t + 23 * H, true)).map((r) => [r.line_item_id, r.slot_id, r.impressions]), [['li_1', 'slt_1', 40], ['li_2', 'slt_1', 32]]);
        assert.deepEqual((await s.moneyCounts(['app_m1'], t, t, false)).map((r) => r.line_item_id), ['li_1'], 'the first hour only');
        assert.deepEqual((await s.moneyCounts(['app_m1'], t, t, true)).map((r) => [r.line_item_id, r.slot_id, r.impressions, r.clicks]), [['li_1', 'slt_1', 40, 5]], 'an edge hour from the hourly facts');
        // Days and edge hours add up: the hour before the day (none) through the day and into the next.
        assert.deepEqual(sorted(await s.moneyCounts(['app_m1'], t - H, t + 25 * H, true)).map((r) => r.impressions), [40, 32]);
        assert.equal((await s.moneyCounts(['app_m1', 'app_m2'], t, t + 23 * H, false)).length, 4);
        assert.deepEqual(await s.moneyCounts([], t, t + 23 * H, false), []);
        assert.deepEqual(await s.moneyCounts(["app_m1' OR '1'='1"], t, t + 23 * H, true), []);
      }));

    it('replaces an app-day idempotently: the same facts twice leave the same rows and restate nothing', () =>
      withStore(async (s) => {
        const a = appDay(A, D0);
        const b = appDay(B, D0, 7);
        assert.deepEqual(await s.replaceAppDay(A, D0, a, 'run_1', t1), [], 'a first load restates nothing');
        assert.deepEqual(await s.replaceAppDay(B, D0, b, 'run_1', t1), []);
        assert.deepEqual(await readDay(s, A, D0), a);
        assert.deepEqual(await s.replaceAppDay(A, D0, structuredClone(a), 'run_2', t1 + 1), []);
        assert.deepEqual(await readDay(s, A, D0), a);
        assert.deepEqual(await readDay(s, B, D0), b, "replacing app A's day leaves app B's");
        assert.deepEqual(await s.replaceAppDay(A, D1, appDay(A, D1, 2), 'run_2', t1 + 1), [], 'a first load of another day restates nothing');
        assert.deepEqual(await readDay(s, A, D0), a, "loading D1 leaves D0's rows");
        assert.deepEqual(await s.restatements({}), []);
      }));

    it('logs exactly the changed hours and metrics as restatements, and an emptied day restates every hour to 0', () =>
      withStore(async (s) => {
        await s.replaceAppDay(A, D0, appDay(A, D0), 'run_1', t1);
        const next = appDay(A, D0);
        next.hourly[0]!.events = 150; // hour 0: only events change
        next.hourly[1]!.country = 'GB'; // hour 1: another dimension row, the same sums: no restatement
        next.hourly.pop(); // hour 5 disappears
        next.hourly.push(hourly(A, t0 + 7 * H, 1)); // hour 7 appears
        next.daily[0]!.devices = 999; // not an hourly number: no restatement
        next.campaign.pop();
        const at = t1 + 60_000;
        const r = (hour: number, metric: string, old_value: number, new_value: number): RestatementRow => ({ run_id: 'run_2', app_id: A, hour, metric, old_value, new_value, at });
        const want = [
          r(t0, 'events', 100, 150),
          r(t0 + 5 * H, 'devices', 6, 0), r(t0 + 5 * H, 'events', 400, 0), r(t0 + 5 * H, 'session_ms', 240_000, 0), r(t0 + 5 * H, 'sessions', 5, 0),
          r(t0 + 7 * H, 'devices', 0, 3), r(t0 + 7 * H, 'events', 0, 100), r(t0 + 7 * H, 'session_ms', 0, 60_000), r(t0 + 7 * H, 'sessions', 0, 2),
        ];
        assert.deepEqual(await s.replaceAppDay(A, D0, next, 'run_2', at), want);
        assert.deepEqual(await s.restatements({ app_id: A }), want);
        assert.deepEqual(await readDay(s, A, D0), next);
        assert.deepEqual(await s.replaceAppDay(A, D0, next, 'run_3', at + 1), [], 'the same facts again restate nothing');

        // A load with no rows at all: every hour that had numbers goes to 0.
        const emptied = await s.replaceAppDay(A, D0, NONE, 'run_4', at + 2);
        assert.deepEqual(emptied.map((x) => `${(x.hour - t0) / H}:${x.metric}:${x.old_value}>${x.new_value}`), [
          '0:devices:3>0', '0:events:150>0', '0:session_ms:60000>0', '0:sessions:2>0',
          '1:devices:9>0', '1:events:500>0', '1:session_ms:300000>0', '1:sessions:7>0',
          '7:devices:3>0', '7:events:100>0', '7:session_ms:60000>0', '7:sessions:2>0',
        ]);
        assert.deepEqual(await readDay(s, A, D0), NONE);

        // The log: newest first, by app, since a time, limited.
        assert.equal((await s.restatements({})).length, 21);
        assert.deepEqual(await s.restatements({ since: at + 2 }), emptied);
        assert.deepEqual(await s.restatements({ app_id: A, limit: 3 }), emptied.slice(0, 3));
        assert.deepEqual(await s.restatements({ app_id: B }), []);
        await rejectsWith(s.restatements({ limit: 0 }), 'STORE_ERR_INVALID');
      }));

    it('leaves the old rows when a load fails half-way, on duplicate rows or on a bad value', () =>
      withStore(async (s) => {
        const old = appDay(A, D0);
        await s.replaceAppDay(A, D0, old, 'run_1', t1);
        // Many touches (several INSERTs), the duplicate last: the hourly, daily, ... rows were already replaced when it fails.
        const dupTouches = appDay(A, D0, 5);
        dupTouches.touches = Array.from({ length: 301 }, (_, i) => touch(A, `dev_${i}`, t0 + i, 0));
        dupTouches.touches.push({ ...dupTouches.touches[0]! });
        await rejectsWith(s.replaceAppDay(A, D0, dupTouches, 'run_2', t1 + 1), 'STORE_ERR_CONFLICT');
        const dupHourly = appDay(A, D0, 5);
        dupHourly.hourly.push({ ...dupHourly.hourly[3]!, events: 1 });
        await rejectsWith(s.replaceAppDay(A, D0, dupHourly, 'run_3', t1 + 2), 'STORE_ERR_CONFLICT');
        assert.deepEqual(await readDay(s, A, D0), old);
        assert.deepEqual(await s.restatements({}), [], 'a failed load logs no restatement');

        const bad = (edit: (f: AppDayFacts) => void): AppDayFacts => {
          const f = appDay(A, D0, 9);
          edit(f);
          return f;
        };
        const refused: [string, AppDayFacts][] = [
          ['a row of another app', bad((f) => (f.hourly[0]!.app_id = B))],
          ['an hour of another day', bad((f) => (f.hourly[0]!.hour = t1))],
          ['an hour not on the hour', bad((f) => (f.campaign[0]!.hour = t0 + 1))],
          ['a negative count', bad((f) => (f.daily[0]!.seq_gaps = -1))],
          ['a fractional count', bad((f) => (f.custom[0]!.count = 1.5))],
          ['a count as a string', bad((f) => ((f.hourly[0] as unknown as Record<string, unknown>).events = '5'))],
          ['a country longer than 8', bad((f) => (f.hourly[0]!.country = 'COUNTRY_X'))],
          ['a custom value longer than 256', bad((f) => (f.custom[0]!.value = 'v'.repeat(257)))],
          ['a row of another day', bad((f) => (f.custom[0]!.day = D1))],
          ['a touch of another day', bad((f) => (f.touches[0]!.ts = t1 + 5))],
          ['an unknown touch kind', bad((f) => ((f.touches[0] as unknown as Record<string, unknown>).kind = 'view'))],
          ['a NULL dimension', bad((f) => ((f.campaign[1] as unknown as Record<string, unknown>).slot_id = null))],
          ['no campaign array', bad((f) => ((f as unknown as Record<string, unknown>).campaign = undefined))],
        ];
        for (const [why, facts] of refused) await rejectsWith(s.replaceAppDay(A, D0, facts, 'run_4', t1 + 3), 'STORE_ERR_INVALID', 400).catch((e: Error) => assert.fail(`${why}: ${e.message}`));
        await rejectsWith(s.replaceAppDay(A, '2026-02-30', NONE, 'run_4', t1), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceAppDay(A, D0, NONE, 'run id', t1), 'STORE_ERR_INVALID');
        assert.deepEqual(await readDay(s, A, D0), old);

        // The longest values fit, four-byte characters included (the MySQL keys stay under 3,072 bytes).
        const long = appDay(A, D0);
        long.custom = [customRow(A, D0, '🚀'.repeat(128), '🚀'.repeat(128), '🚀'.repeat(256), 1)];
        long.touches = [touch(A, 'd'.repeat(128), t0, 0, { campaign_id: 'c'.repeat(64), creative_id: 'r'.repeat(64) })];
        long.daily[0]!.devices_hll = 'h'.repeat(200_000);
        await s.replaceAppDay(A, D0, long, 'run_5', t1 + 4);
        assert.deepEqual(await readDay(s, A, D0), long);
      }));

    it('reads one app and inclusive ranges, ordered by key, with numbers as numbers', () =>
      withStore(async (s) => {
        const a0 = appDay(A, D0);
        const a1 = appDay(A, D1, 2);
        const b0 = appDay(B, D0, 3);
        for (const [app, day, f] of [[A, D0, a0], [A, D1, a1], [B, D0, b0]] as const) await s.replaceAppDay(app, day, f, 'run_1', t1);
        assert.deepEqual(await s.appHourly(A, t0 + H, t0 + 5 * H), a0.hourly.slice(1));
        assert.deepEqual(await s.appHourly(A, t0, t1 + DAY_MS), [...a0.hourly, ...a1.hourly]);
        assert.deepEqual(await s.appHourly(A, t0 + 2 * H, t0 + 4 * H), []);
        assert.deepEqual(await s.appHourly('app_none', t0, t1), []);
        assert.deepEqual(await s.appDaily(A, D0, D1), [...a0.daily, ...a1.daily]);
        assert.deepEqual(await s.appDaily(A, D1, D2), a1.daily);
        assert.deepEqual(await s.customDaily(A, D0, D1), [...a0.custom, ...a1.custom]);
        const cmp2 = (f: AppDayFacts) => f.campaign.filter((c) => c.campaign_id === 'cmp_2');
        assert.deepEqual(await s.campaignHourly({ campaign_id: 'cmp_2', fromHour: t0, toHour: t1 + H }), [...cmp2(a0), ...cmp2(a1), ...cmp2(b0)]);
        assert.deepEqual(await s.campaignHourly({ app_id: B, campaign_id: 'cmp_1', fromHour: t0, toHour: t0 }), b0.campaign.slice(0, 3));
        assert.deepEqual(await s.campaignHourly({ fromHour: t0 + H, toHour: t0 + H }), [...cmp2(a0), ...cmp2(b0)]);
        assert.deepEqual(await s.campaignHourly({ app_id: A, fromHour: t1, toHour: t1 + DAY_MS }), a1.campaign);
        // Touches of several days: by device, then time, then ordinal.
        const t = await s.touches(A, D0, D1);
        assert.deepEqual(t.map((x) => `${x.device_id}@${x.ts - t0}#${x.ord}`), ['dev_a@10#0', 'dev_a@10#1', `dev_a@${DAY_MS + 10}#0`, `dev_a@${DAY_MS + 10}#1`, 'dev_b@5#0', `dev_b@${DAY_MS + 5}#0`]);
        const rows: object[] = [...(await readDay(s, A, D0)).hourly, ...(await s.appDaily(A, D0, D1)), ...(await s.campaignHourly({ fromHour: 0, toHour: t1 + DAY_MS })), ...t];
        for (const row of rows) {
          for (const [k, v] of Object.entries(row)) assert.equal(typeof v, /^(app_id|day|platform|os_version|app_version|country|device_class|devices_hll|campaign_id|line_item_id|creative_id|slot_id|device_id|kind)$/.test(k) ? 'string' : 'number', k);
        }
        await rejectsWith(s.appDaily(A, 'yesterday', D0), 'STORE_ERR_INVALID');
        await rejectsWith(s.appHourly(A, Number.NaN, t0), 'STORE_ERR_INVALID');
        await rejectsWith(s.campaignHourly({ fromHour: 0, toHour: 1.5 }), 'STORE_ERR_INVALID');
        await rejectsWith(s.touches(A, D0, '2026-1-2'), 'STORE_ERR_INVALID');
      }));

    it('answers the report reads from its rollups exactly as sums over the hourly facts, for ranges that cut days anywhere', () =>
      withStore(async (s) => {
        const facts = [appDay(A, D0), appDay(A, D1, 2), appDay(B, D0, 3), appDay(A, D2, 4)];
        for (const f of facts) await s.replaceAppDay(f.hourly[0]!.app_id, f.hourly[0]!.day, f, 'run_1', t1);
        // Reload one day with other numbers: the rollups follow.
        const again = appDay(A, D1, 5);
        await s.replaceAppDay(A, D1, again, 'run_2', t1);
        facts[1] = again;
        const hourly = facts.flatMap((f) => f.hourly);
        const campaign = facts.flatMap((f) => f.campaign);
        // Whole days, a range starting and ending inside days, and one inside a single day.
        const ranges: [number, number][] = [[t0, t0 + 3 * DAY_MS - H], [t0 + H, t1 + 5 * H], [t0 + H, t0 + 5 * H], [t1 + 6 * H, t1 + 20 * H]];
        for (const [from, to] of ranges) {
          const inRange = <T extends { hour: number }>(rows: T[], apps: string[]) => rows.filter((r) => r.hour >= from && r.hour <= to && apps.includes((r as unknown as { app_id: string }).app_id));
          const hours = new Map<number, number>();
          for (const r of inRange(hourly, [A, B])) hours.set(r.hour, (hours.get(r.hour) ?? 0) + r.events);
          assert.deepEqual((await s.hourTotals([A, B], from, to)).map((r) => [r.hour, r.events]), [...hours].sort((a, b) => a[0] - b[0]));
          for (const dim of ['platform', 'os_version', 'app_version', 'country', 'device_class'] as const) {
            const want = new Map<string, number>();
            for (const r of inRange(hourly, [A])) want.set(r[dim], (want.get(r[dim]) ?? 0) + r.sessions);
            const got = await s.dimensionTotals([A], dim, from, to);
            assert.deepEqual(new Map(got.map((r) => [r.value, r.sessions])), want, `${dim} ${from - t0}..${to - t0}`);
          }
          for (const by of ['creative_id', 'country', 'line_item_id', 'app_id', 'hour'] as const) {
            const want = new Map<string, number>();
            for (const r of inRange(campaign, [A, B]).filter((r) => r.campaign_id === 'cmp_1')) want.set(String(r[by]), (want.get(String(r[by])) ?? 0) + r.impressions);
            const got = await s.campaignTotals({ campaignIds: ['cmp_1'] }, by, from, to);
            assert.deepEqual(new Map(got.map((r) => [r.key, r.impressions])), want, `${by} ${from - t0}..${to - t0}`);
          }
        }
        const li = await s.lineItemHours('cmp_2', t0, t2end());
        const perLi = new Map<string, number>();
        for (const c of campaign.filter((c) => c.campaign_id === 'cmp_2')) perLi.set(`${c.line_item_id}@${c.hour}`, (perLi.get(`${c.line_item_id}@${c.hour}`) ?? 0) + c.impressions);
        assert.deepEqual(new Map(li.map((r) => [`${r.line_item_id}@${r.hour}`, r.impressions])), perLi);
        assert.ok(li.every((r, i) => i === 0 || r.hour >= li[i - 1]!.hour), 'in hour order');
        // A name counts its events once, however many props they carry; a name's props never list the '' row.
        const custom = facts.flatMap((f) => f.custom).filter((r) => r.app_id === A);
        const count = (f: (r: (typeof custom)[number]) => boolean) => custom.filter(f).reduce((n, r) => n + r.count, 0);
        assert.deepEqual(await s.customTotals([A], D0, D2), [
          { key: 'level_up', count: count((r) => r.name === 'level_up' && r.prop === '') },
          { key: 'purchase', count: count((r) => r.name === 'purchase' && r.prop === '') },
        ]);
        assert.deepEqual(await s.customTotals([A], D0, D2, 'level_up'), [
          { key: 'level', count: count((r) => r.name === 'level_up' && r.prop === 'level') },
          { key: 'mode', count: count((r) => r.name === 'level_up' && r.prop === 'mode') },
        ]);
        assert.deepEqual(await s.latestHours([A, B, 'app_none']), new Map([[A, dayStart(D2) + 5 * H], [B, t0 + 5 * H]]));
        await rejectsWith(s.dimensionTotals([A], 'device_model' as never, t0, t1), 'STORE_ERR_INVALID');
        await rejectsWith(s.campaignTotals({ campaignIds: ['cmp_1'] }, 'slot_id; DROP TABLE x' as never, t0, t1), 'STORE_ERR_INVALID');
      }));

    it('replaces attribution for a range of days only, keeping fractional credit', () =>
      withStore(async (s) => {
        const first = [attributionRow(A, D0, 'cmp_1', 1), attributionRow(A, D0, 'cmp_2', 0.5, { model: 'linear' }), attributionRow(A, D1, 'cmp_1', 2.25)];
        await s.replaceAttribution(A, D0, D1, first);
        await s.replaceAttribution(B, D0, D0, [attributionRow(B, D0, 'cmp_1', 4)]);
        assert.deepEqual(await s.attribution(A, D0, D1), first);
        const d1 = [attributionRow(A, D1, 'cmp_3', 1 / 3, { creative_id: '' })];
        await s.replaceAttribution(A, D1, D2, d1);
        assert.deepEqual(await s.attribution(A, D0, D2), [...first.slice(0, 2), ...d1]);
        assert.deepEqual(await s.attribution(A, D1, D1), d1);
        assert.deepEqual(await s.attribution(B, D0, D2), [attributionRow(B, D0, 'cmp_1', 4)]);
        await rejectsWith(s.replaceAttribution(A, D1, D1, [attributionRow(A, D0, 'cmp_9', 1)]), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceAttribution(A, D1, D1, [attributionRow(A, D1, 'cmp_9', -1)]), 'STORE_ERR_INVALID');
        await rejectsWith(s.replaceAttribution(A, D1, D1, [attributionRow(A, D1, 'cmp_9', 1), attributionRow(A, D1, 'cmp_9', 2)]), 'STORE_ERR_CONFLICT');
        assert.deepEqual(await s.attribution(A, D0, D2), [...first.slice(0, 2), ...d1], 'refused replaces left the rows');
      }));

    it('recomputes delivery from the campaign facts for the asked hours only, and deliveredByLineItem sees it', () =>
      withStore(async (s) => {
        await s.upsertDelivery([
          { line_item_id: 'li_gone', hour: t0 + H, country: 'US', impressions: 99, clicks: 9 },
          { line_item_id: 'li_1', hour: t0 + 3 * H, country: 'US', impressions: 7, clicks: 7 },
        ]);
        await s.replaceAppDay(A, D0, appDay(A, D0, 1), 'run_1', t1);
        await s.replaceAppDay(B, D0, appDay(B, D0, 2), 'run_1', t1);
        // li_1 at t0: A 24 + 16, B 32 + 24 impressions; li_2 at t0 + H: A 32, B 40; the ad without a line item is not delivery.
        const want = { li_1: { impressions: 96 + 7, clicks: 12 + 7 }, li_2: { impressions: 72, clicks: 9 } };
        await s.refreshDelivery(t0, t0 + 2 * H);
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(0)), want);
        await s.refreshDelivery(t0, t0 + 2 * H);
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(0)), want, 'a second refresh leaves the same numbers');
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(t0 + H)), { li_1: { impressions: 7, clicks: 7 }, li_2: { impressions: 72, clicks: 9 } });
        // New facts for A; refreshing hour t0 only leaves hour t0 + H as it was.
        await s.replaceAppDay(A, D0, appDay(A, D0, 10), 'run_2', t1);
        await s.refreshDelivery(t0, t0);
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(0)), { li_1: { impressions: 96 + 88 + 56 + 7, clicks: 12 + 11 + 7 + 7 }, li_2: { impressions: 72, clicks: 9 } });
        await s.refreshDelivery(t0 + H, t0 + H);
        assert.deepEqual((await s.deliveredByLineItem(0)).get('li_2'), { impressions: 104 + 40, clicks: 13 + 5 });
        await rejectsWith(s.refreshDelivery(Number.NaN, t0), 'STORE_ERR_INVALID');
      }));

    it('gives a job lock to one owner at a time until it expires, extends it for its owner and frees it on release', () =>
      withStore(async (s) => {
        const k = `aggregate:${A}:${D0}`;
        const ttl = 60_000;
        assert.equal(await s.acquireJobLock(k, 'w1', ttl, t0), true);
        assert.equal(await s.acquireJobLock(k, 'w2', ttl, t0 + 1), false);
        assert.equal(await s.acquireJobLock(k, 'w1', ttl, t0 + 30_000), true, 'ours: extended to t0 + 90 s');
        assert.equal(await s.acquireJobLock(k, 'w1', ttl, t0 + 30_000), true, 'extending again to the same expiry');
        assert.equal(await s.acquireJobLock(k, 'w2', ttl, t0 + 89_999), false, 'the first expiry passed, the extension holds');
        assert.equal(await s.acquireJobLock('other', 'w2', ttl, t0 + 1), true, 'another key is another lock');
        assert.equal(await s.acquireJobLock(k, 'w2', ttl, t0 + 90_000), true, 'expired: taken over');
        assert.equal(await s.acquireJobLock(k, 'w1', ttl, t0 + 90_001), false);
        assert.deepEqual(await s.jobLockHolder(k), { owner: 'w2', expires_at: t0 + 150_000 }, 'the holder and its expiry');
        await s.releaseJobLock(k, 'w1');
        assert.equal(await s.acquireJobLock(k, 'w1', ttl, t0 + 90_002), false, "a release by who does not hold it does nothing");
        assert.equal(await s.renewJobLock(k, 'w1', ttl, t0 + 90_002), false, 'renewing a lock another holds does nothing');
        assert.equal(await s.renewJobLock(k, 'w2', ttl, t0 + 90_002), true, 'its holder renews it');
        assert.equal((await s.jobLockHolder(k))?.expires_at, t0 + 150_002);
        await s.releaseJobLock(k, 'w2');
        assert.equal(await s.jobLockHolder(k), undefined, 'released: free');
        assert.equal(await s.renewJobLock(k, 'w2', ttl, t0 + 90_003), false, 'a released lock is not renewed');
        assert.equal(await s.jobLockHolder(k), undefined, 'nor made again by a late renewal');
        assert.equal(await s.acquireJobLock(k, 'w1', ttl, t0 + 90_003), true);
        await rejectsWith(s.acquireJobLock(k, 'w1', 0, t0), 'STORE_ERR_INVALID');
        await rejectsWith(s.acquireJobLock(k, '', ttl, t0), 'STORE_ERR_INVALID');
        await rejectsWith(s.acquireJobLock('k'.repeat(256), 'w1', ttl, t0), 'STORE_ERR_INVALID');
      }));

    it('lets exactly one of two stores take a lock, free or expired, or finish a run when both try at once', async () => {
      const s = await h.open();
      await s.migrate();
      const t = await h.reopen(s);
      try {
        const keys = Array.from({ length: 12 }, (_, i) => `partition_${i}`);
        const race = (now: number) => Promise.all(keys.map((k) => Promise.all([s.acquireJobLock(k, 'one', 1000, now), t.acquireJobLock(k, 'two', 1000, now)])));
        for (const now of [t0, t0 + 500, t0 + 1000, t0 + 5000]) {
          const wins = await race(now);
          for (const [i, [x, y]] of wins.entries()) assert.ok(x !== y, `${keys[i]} at +${now - t0} ms: one ${x}, two ${y}`);
        }
        const runs = await Promise.all(keys.map((k) => s.startJobRun('aggregate', k, t0)));
        const finishes = await Promise.all(runs.map((id) => Promise.allSettled([s.finishJobRun(id, 'succeeded', t0 + 1, 1, null), t.finishJobRun(id, 'failed', t0 + 2, null, 'x')])));
        for (const [one, two] of finishes) {
          assert.ok((one.status === 'fulfilled') !== (two.status === 'fulfilled'), `finished by one: ${one.status}, by two: ${two.status}`);
          const lost = one.status === 'rejected' ? one.reason : (two as PromiseRejectedResult).reason;
          assert.equal((lost as { code?: string }).code, 'STORE_ERR_CONFLICT');
        }
      } finally {
        await t.close();
        await s.close();
      }
    });

    it('records job runs and lists them newest first, by workflow, finishing each once', () =>
      withStore(async (s) => {
        const r1 = await s.startJobRun('aggregate', `${A}/${D0}`, t0);
        const r2 = await s.startJobRun('dedupe', `${A}/${D0}`, t0 + 1000);
        const r3 = await s.startJobRun('aggregate', `${B}/${D0}`, t0 + 2000);
        for (const id of [r1, r2, r3]) assert.match(id, /^run_[0-9a-z]{16}$/);
        assert.equal(new Set([r1, r2, r3]).size, 3);
        await s.finishJobRun(r1, 'succeeded', t0 + 500, 1234, null);
        await s.finishJobRun(r3, 'failed', t0 + 2500, null, 'boom: "quoted" \'x\'\nline two');
        const run1 = { id: r1, workflow: 'aggregate', partition_key: `${A}/${D0}`, status: 'succeeded', started_at: t0, finished_at: t0 + 500, row_count: 1234, error: null };
        const run2 = { id: r2, workflow: 'dedupe', partition_key: `${A}/${D0}`, status: 'running', started_at: t0 + 1000, finished_at: null, row_count: null, error: null };
        const run3 = { id: r3, workflow: 'aggregate', partition_key: `${B}/${D0}`, status: 'failed', started_at: t0 + 2000, finished_at: t0 + 2500, row_count: null, error: 'boom: "quoted" \'x\'\nline two' };
        assert.deepEqual(await s.listJobRuns({}), [run3, run2, run1]);
        assert.deepEqual(await s.listJobRuns({ workflow: 'aggregate' }), [run3, run1]);
        assert.deepEqual(await s.listJobRuns({ workflow: 'aggregate', limit: 1 }), [run3]);
        assert.deepEqual(await s.listJobRuns({ limit: 2 }), [run3, run2]);
        assert.deepEqual(await s.listJobRuns({ workflow: 'none' }), []);
        await rejectsWith(s.finishJobRun(r1, 'failed', t0 + 600, null, 'again'), 'STORE_ERR_CONFLICT', 409);
        await rejectsWith(s.finishJobRun('run_missing', 'failed', t0, null, null), 'STORE_ERR_NOT_FOUND', 404);
        await rejectsWith(s.finishJobRun(r2, 'done' as 'failed', t0, null, null), 'STORE_ERR_INVALID');
        await rejectsWith(s.startJobRun('', 'p', t0), 'STORE_ERR_INVALID');
        await rejectsWith(s.listJobRuns({ limit: -1 }), 'STORE_ERR_INVALID');
        assert.deepEqual((await s.listJobRuns({ limit: 1 }))[0], run3, 'refused calls changed nothing');
        // A huge error is cut to fit its column rather than losing the failure.
        await s.finishJobRun(r2, 'failed', t0 + 3000, 0, 'é'.repeat(100_000));
        const err = (await s.listJobRuns({ workflow: 'dedupe' }))[0]?.error ?? '';
        assert.ok(Buffer.byteLength(err) <= 65_535 && err.startsWith('éé') && err.endsWith('[cut]'), `error of ${Buffer.byteLength(err)} bytes`);
      }));

    it('loads what splitAppDayFacts keeps of a load with a lone surrogate, an overlong value and keys that differ only in trailing spaces', () =>
      withStore(async (s) => {
        const f = appDay(A, D0);
        const good = structuredClone(f);
        const c = f.custom.length;
        const t = f.touches.length;
        f.custom.push(customRow(A, D0, 'level_up', 'level', 'v\ud800', 1), customRow(A, D0, 'level_up', 'level', 'x'.repeat(257), 1), customRow(A, D0, 'level_up', 'level', '10 ', 4));
        f.touches.push(touch(A, 'dev_a ', t0 + 10, 0));
        await rejectsWith(s.replaceAppDay(A, D0, f, 'run_1', t1), 'STORE_ERR_INVALID');
        const split = splitAppDayFacts(A, D0, f);
        assert.deepEqual(split.refused.map((r) => [r.table, r.index, r.reason]), [
          ['agg_custom_daily', c, 'lone_surrogate'], ['agg_custom_daily', c + 1, 'too_long'], ['agg_custom_daily', c + 2, 'key_collision'], ['touches', t, 'key_collision'],
        ]);
        assert.deepEqual(split.facts, good);
        await s.replaceAppDay(A, D0, split.facts, 'run_1', t1);
        assert.deepEqual(await readDay(s, A, D0), good);
      }));

    it('records quarantined rows once per lake key, app, day and reason, and lists them newest first by app and since', () =>
      withStore(async (s) => {
        const q = (lake_key: string, app_id: string, reason: string, row_count: number, at: number): QuarantineRow =>
          ({ lake_key, source: 'jobs', app_id, day: D0, reason, row_count, detail: `agg_custom_daily row 3: value: "v\\ud800" é😀`, at });
        const a1 = q(`quarantine/facts/app_id=${A}/dt=${D0}/run_1.json`, A, 'lone_surrogate', 2, t1);
        const a2 = q(`quarantine/facts/app_id=${A}/dt=${D0}/run_1.json`, A, 'too_long', 1, t1);
        const b1 = q(`quarantine/facts/app_id=${B}/dt=${D0}/run_2.json`, B, 'lone_surrogate', 1, t1 + 10);
        const none = { ...q('quarantine/seg-1@8.json', '', 'bad_app_id', 1, t1 + 20), source: 'pipeline', day: '' };
        await s.recordQuarantine([a1, a2]);
        await s.recordQuarantine([b1, none]);
        await s.recordQuarantine([]);
        // The same key again (a rerun) replaces, never adds.
        await s.recordQuarantine([{ ...a1, row_count: 3 }]);
        const a1b = { ...a1, row_count: 3 };
        assert.deepEqual(await s.quarantined({}), [none, b1, a1b, a2]);
        assert.deepEqual(await s.quarantined({ app_id: A }), [a1b, a2]);
        assert.deepEqual(await s.quarantined({ app_id: '' }), [none]);
        assert.deepEqual(await s.quarantined({ since: t1 + 10 }), [none, b1]);
        assert.deepEqual(await s.quarantined({ limit: 1 }), [none]);
        await rejectsWith(s.recordQuarantine([{ ...a1, detail: 'x\ud800' }]), 'STORE_ERR_INVALID');
        await rejectsWith(s.recordQuarantine([{ ...a1, row_count: -1 }]), 'STORE_ERR_INVALID');
        await rejectsWith(s.quarantined({ limit: 0 }), 'STORE_ERR_INVALID');
      }));
  });
}
