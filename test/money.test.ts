import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { countSpend, flatSpendTo, formatMoney, parseMoney, roundHalfUp } from '../common/money.js';
import { DAY_MS, parseUtcDay, utcDay } from '../common/time.js';
import type { UiTier } from '../reporting-ui/run.js';
import type { GroundTruth } from '../sdk-mock/ground-truth.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS, statementFor } from '../store/migrations.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { StoreError } from '../store/errors.js';
import { tmp } from './helpers/fleet.js';
import { runJobs } from './helpers/jobs.js';
import { adminUi } from './helpers/truth-ui.js';
import { fleetLake, runPipelineOnce } from './helpers/pipeline.js';
import type { Json } from './helpers/json.js';


describe('money rules', () => {
  test('cpm spend rounds once, half-up, from the summed impressions; cpc is exact; a flat fee accrues by time up to its price', () => {
    assert.equal(countSpend('cpm', 2_500_000, 1, 0), 2500);
    assert.equal(countSpend('cpm', 500, 1, 0), 1, 'half a micro rounds up');
    assert.equal(countSpend('cpm', 499, 1, 0), 0);
    assert.equal(countSpend('cpm', 1_234_567, 3, 0), 3704, '3,703.701 micros');
    // 10^9 impressions at 8.00: beyond 2^53 as a product, exact on BigInt.
    assert.equal(countSpend('cpm', 8_000_001, 1_000_000_007, 0), 8_000_001_056_000);
    assert.equal(countSpend('cpc', 750_000, 0, 7), 5_250_000);
    assert.equal(flatSpendTo(1_000_000, 0, 3, 1), 333_333);
    assert.equal(flatSpendTo(1_000_000, 0, 3, 2), 666_667);
    assert.equal(flatSpendTo(1_000_000, 0, 3, -5), 0);
    assert.equal(flatSpendTo(1_000_000, 0, 3, 99), 1_000_000);
    assert.equal(roundHalfUp(5n, 2n), 3n);
  });

  test('money shows in currency units with the code, and "2.50" parses to micros exactly', () => {
    assert.equal(formatMoney(1_234_560_000, 'USD'), '$1,234.56');
    assert.equal(formatMoney(1_234_565_000, 'EUR'), '1,234.57 EUR');
    assert.equal(formatMoney(1_234_499_999, 'JPY'), '1,234 JPY');
    assert.equal(formatMoney(5000, 'USD'), '$0.01');
    assert.equal(parseMoney('2.50'), 2_500_000);
    assert.equal(parseMoney('0.1'), 100_000, 'no float error: 0.1 x 10^6 by strings');
    assert.equal(parseMoney('1,234.000001'), 1_234_000_001);
    for (const bad of ['', '-1', '1.0000001', 'abc', '1e3', '.5x']) assert.equal(parseMoney(bad), undefined, bad);
  });

  test('the store refuses bad money with stable problem codes, and migration 10 carries cpm_micros over as a cpm price', async () => {
    const dir = tmp('money-store');
    const path = join(dir, 'sluice.db');
    // A database as it was before migration 10, with one line item priced in cpm_micros.
    const db = new Database(path);
    db.exec(statementFor(SCHEMA_MIGRATIONS, 'sqlite'));
    for (const m of MIGRATIONS.filter((x) => x.version < 10)) {
      for (const s of m.statements) db.exec(statementFor(s, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    db.exec("INSERT INTO publishers VALUES ('pub_1', 'P'); INSERT INTO advertisers VALUES ('adv_1', 'A')");
    db.exec("INSERT INTO campaigns VALUES ('cmp_1', 'adv_1', 'C', 0, 1000, 'active', 5000000, 5, '[]')");
    db.exec("INSERT INTO line_items VALUES ('li_1', 'cmp_1', 'L', 0, 1000, 'active', 'impressions', 10, 'even', NULL, '', 0, 0, 2500000, '[]')");
    db.close();
    const store = new SqliteStore({ path });
    try {
      assert.equal(await store.migrate(), MIGRATIONS.filter((x) => x.version >= 10).length);
      const li = await store.getLineItem('li_1');
      assert.equal(li?.price_model, 'cpm');
      assert.equal(li?.price_micros, 2_500_000);
      assert.equal((await store.getCampaign('cmp_1'))?.currency, 'USD');
      assert.equal((await store.getPublisher('pub_1'))?.rev_share_bps, 7000);
      const problemCodes = async (p: Promise<unknown>) => {
        try {
          await p;
        } catch (err) {
          assert.ok(err instanceof StoreError && err.code === 'STORE_ERR_INVALID', String(err));
          return (err.details as string[]).map((d) => d.split(' ')[0]);
        }
        assert.fail('the write was accepted');
      };
      assert.deepEqual(await problemCodes(store.updateLineItem('li_1', { price_model: 'cpa' as never, price_micros: -1 })), ['STORE_ERR_BAD_PRICE_MODEL', 'STORE_ERR_BAD_AMOUNT']);
      assert.deepEqual(await problemCodes(store.updateCampaign('cmp_1', { currency: 'usd', budget_micros: 1.5 })), ['STORE_ERR_BAD_AMOUNT', 'STORE_ERR_BAD_CURRENCY']);
      assert.deepEqual(await problemCodes(store.updatePublisher('pub_1', { rev_share_bps: 10_001 })), ['STORE_ERR_BAD_REV_SHARE']);
      assert.equal((await store.updateLineItem('li_1', { price_model: 'cpc', price_micros: 150_000 })).price_micros, 150_000);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('money in the reporting API against the fleet ground truth', () => {
  let fx: Awaited<ReturnType<typeof fleetLake>>;
  let store: SqliteStore;
  let ui: UiTier;
  let cookie = '';
  let truth: GroundTruth;
  let from = '';
  let to = '';
  const get = async (url: string): Promise<Json> => {
    const res = await fetch(ui.url + url, { headers: { cookie } });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    fx = await fleetLake(50, 23, 0.4, { apps: 10 });
    truth = fx.truth;
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    store = new SqliteStore({ path: fx.dbPath });
    await store.migrate();
    const run = await runJobs(fx.lakeDir, store, { stateDir: join(fx.dir, 'state'), threads: 2 });
    assert.equal(run.status, 'succeeded', run.error ?? '');
    // One publisher keeps 60 %, the others the default 70 %.
    await store.updatePublisher('pub_0001', { rev_share_bps: 6000 });
    const days = truth.money.campaign_app_days.map((r) => r.day).sort();
    from = days[0]!;
    to = days[days.length - 1]!;
    ({ ui, cookie } = await adminUi(store, 'admin@money.example'));
  });
  after(async () => {
    await ui?.close();
    await store?.close();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });

  // The flight fleetLake seeds (seedWorld from start - 1 day to start + 200 days, plus a day).
  const flight = () => ({ start: fx.start - DAY_MS, end: fx.start + 201 * DAY_MS });
  const priceOf = (cmp: string) => truth.money.line_items.find((l) => l.campaign_id === cmp)!;
  const rangeStart = () => parseUtcDay(from);
  const rangeEnd = () => parseUtcDay(to) + DAY_MS;
  /** Spend from the truth's counts over [a, b) by the documented rules, computed here from the rule's text. */
  const spendOf = (cmp: string, impressions: number, clicks: number, a: number, b: number): number => {
    const p = priceOf(cmp);
    const { start, end } = flight();
    if (p.price_model === 'flat') {
      const s = (t: number) => Number(roundHalfUp(BigInt(p.price_micros) * BigInt(Math.min(end - start, Math.max(0, t - start))), BigInt(end - start)));
      return s(b) - s(a);
    }
    const n = p.price_model === 'cpm' ? BigInt(impressions) * BigInt(p.price_micros) : BigInt(clicks) * BigInt(p.price_micros);
    return Number(roundHalfUp(n, p.price_model === 'cpm' ? 1000n : 1n));
  };

  test('the demo prices cover cpm, cpc and one flat fee, in USD and EUR', () => {
    const seeded = truth.money.line_items.slice(1);
    assert.deepEqual(new Set(seeded.map((l) => l.price_model)), new Set(['cpm', 'cpc', 'flat']));
    assert.equal(seeded.filter((l) => l.price_model === 'flat').length, 1);
    assert.ok(seeded.filter((l) => l.price_model === 'cpm').every((l) => l.price_micros >= 500_000 && l.price_micros <= 8_000_000));
    assert.deepEqual(new Set(seeded.map((l) => l.currency)), new Set(['USD', 'EUR']));
  });

  test("each campaign's spend per line item and per day equals the truth's counts at its price, exactly in micros", async () => {
    const campaigns = await store.listCampaigns();
    assert.ok(campaigns.length >= 4);
    for (const c of campaigns) {
      const m = await get(`/api/campaigns/${c.id}/money?from=${from}&to=${to}&tz=UTC`);
      const rows = truth.money.campaign_app_days.filter((r) => r.campaign_id === c.id);
      const imp = rows.reduce((n, r) => n + r.impressions, 0);
      const clk = rows.reduce((n, r) => n + r.clicks, 0);
      const want = spendOf(c.id, imp, clk, rangeStart(), rangeEnd());
      assert.ok(want > 0, `${c.id} spent something`);
      assert.equal(m.currency, priceOf(c.id).currency);
      assert.equal(m.line_items.length, 1);
      assert.equal(m.line_items[0].impressions, imp, `${c.id} impressions`);
      assert.equal(m.line_items[0].spend_micros, want, `${c.id} line item spend`);
      assert.equal(m.totals.spend_micros, want, `${c.id} total spend`);
      assert.equal(m.totals.spend, formatMoney(want, m.currency));
      // Days: each the spend up to its end less the spend before it (they add up to the total).
      let cumImp = 0;
      let cumClk = 0;
      let before = 0;
      for (const d of m.days as Json[]) {
        for (const r of rows.filter((x) => x.day === d.day)) (cumImp += r.impressions), (cumClk += r.clicks);
        const upTo = spendOf(c.id, cumImp, cumClk, rangeStart(), parseUtcDay(d.day) + DAY_MS);
        assert.equal(d.spend_micros, upTo - before, `${c.id} ${d.day}`);
        before = upTo;
      }
      assert.equal(before, want);
      // All the fleet's data is in the past: to date (from the flight start) is the same counts.
      if (priceOf(c.id).price_model !== 'flat') assert.equal(m.spend_to_date_micros, want, `${c.id} to date`);
      assert.equal(m.budget_micros, c.budget_micros);
      assert.ok(c.budget_micros > 0 && m.days.every((d: Json) => d.pacing_micros === flatSpendTo(c.budget_micros, c.start_at, c.end_at, parseUtcDay(d.day) + DAY_MS)));
    }
  });

  test("each publisher's revenue per campaign and app equals the truth's spend on its apps times its share, rounded once", async () => {
    const apps = await store.listApps();
    const pubs = new Map((await store.listPublishers()).map((p) => [p.id, p.rev_share_bps]));
    let checked = 0;
    for (const a of apps) {
      const bps = pubs.get(a.publisher_id)!;
      const r = await get(`/api/apps/${a.id}/revenue?from=${from}&to=${to}&tz=UTC&by=campaign_id`);
      const rows = truth.money.campaign_app_days.filter((x) => x.app_id === a.id);
      const want = new Map<string, number>();
      for (const cmp of new Set(rows.map((x) => x.campaign_id))) {
        if (!(await store.getCampaign(cmp))) continue;
        const p = priceOf(cmp);
        const imp = rows.filter((x) => x.campaign_id === cmp).reduce((n, x) => n + x.impressions, 0);
        const clk = rows.filter((x) => x.campaign_id === cmp).reduce((n, x) => n + x.clicks, 0);
        let num: bigint;
        let den: bigint;
        if (p.price_model === 'flat') {
          // The flat fee's exact spend over the range, split by this app's share of its impressions.
          const all = truth.money.campaign_app_days.filter((x) => x.campaign_id === cmp).reduce((n, x) => n + x.impressions, 0);
          const { start, end } = flight();
          num = BigInt(p.price_micros) * BigInt(rangeEnd() - rangeStart()) * BigInt(imp);
          den = BigInt(end - start) * BigInt(all);
          assert.ok(rangeStart() >= start && rangeEnd() <= end);
        } else {
          num = BigInt(p.price_model === 'cpm' ? imp : clk) * BigInt(p.price_micros);
          den = p.price_model === 'cpm' ? 1000n : 1n;
        }
        want.set(cmp, Number(roundHalfUp(num * BigInt(bps), den * 10_000n)));
      }
      const got = new Map((r.rows as Json[]).map((x) => [x.campaign_id as string, x.revenue_micros as number]));
      assert.deepEqual(got, want, `${a.id} (${bps} bps)`);
      for (const x of r.rows as Json[]) assert.equal(x.revenue, formatMoney(x.revenue_micros, x.currency));
      checked += want.size;
    }
    assert.ok(checked >= 10);
    // 'all' for a publisher sums its apps; by app and by slot add up to the same per currency (within a micro per row).
    const all = await get(`/api/apps/all/revenue?from=${from}&to=${to}&tz=UTC&by=app_id`);
    const bySlot = await get(`/api/apps/all/revenue?from=${from}&to=${to}&tz=UTC&by=slot_id`);
    for (const t of all.totals as Json[]) {
      const s = (bySlot.totals as Json[]).find((x) => x.currency === t.currency)!;
      assert.equal(s.impressions, t.impressions);
      assert.ok(Math.abs(s.revenue_micros - t.revenue_micros) <= bySlot.rows.length, `${t.currency}: ${s.revenue_micros} vs ${t.revenue_micros}`);
    }
    assert.deepEqual(new Set((all.totals as Json[]).map((t) => t.currency)), new Set(['USD', 'EUR']));
  });

  test('spend days outside the data are zero, and a range in the future shows no flat spend', async () => {
    const flat = truth.money.line_items.find((l) => l.price_model === 'flat')!.campaign_id;
    const future = utcDay(Date.now() + 3 * DAY_MS);
    const m = await get(`/api/campaigns/${flat}/money?from=${future}&to=${future}&tz=UTC`);
    assert.equal(m.totals.spend_micros, 0);
  });
});
