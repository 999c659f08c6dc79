/**
 * Money (common/money.ts rules, integer micros, shown with the currency):
 * - GET /api/campaigns/:id/money (advertisers, their own campaigns; admins): spend per line
 *   item and per local day over the range, the budget, spend to date against it, the even
 *   pacing line of the budget over the campaign's flight, effective CPM and CPC.
 * - GET /api/apps/:app/revenue (publishers, their own apps; admins): the publisher's revenue
 *   (spend on its apps x its revenue share) and eCPM per campaign, slot or app. Prices are
 *   not shown: only what the publisher's own revenue implies.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ecpm, flatSpendTo, formatMoney, perClick } from '../../common/money.js';
import type { LineItem } from '../../store/model.js';
import { revenueFrom, spendOver, spendPerPeriod } from '../money-report.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { localMidnight, parseRange } from '../time-range.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const REVENUE_GROUPS = ['campaign_id', 'slot_id', 'app_id'] as const;
type RevenueGroup = (typeof REVENUE_GROUPS)[number];

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

type Campaign = NonNullable<Awaited<ReturnType<UiAppOptions['store']['getCampaign']>>>;
type Range = ReturnType<typeof parseRange>;
interface ItemHour { hour: number; impressions: number; clicks: number }
/** A local day of the range: its name and its UTC hours [start, end) (a day starts at the first UTC hour starting in it). */
interface RangeDay { name: string; start: number; end: number }
/** The range's local days, and `bounds`: each day's start followed by the end of the range. */
interface RangeDays { days: RangeDay[]; bounds: number[] }

/** One time zone look-up a day (not an hour): a day starts at the first UTC hour starting in it. */
function rangeDays(r: Range): RangeDays {
  const rangeEnd = r.toHour + HOUR_MS;
  const days: RangeDay[] = [];
  for (let t = Date.parse(`${r.from}T00:00:00Z`); t <= Date.parse(`${r.to}T00:00:00Z`); t += DAY_MS) {
    const name = new Date(t).toISOString().slice(0, 10);
    const start = Math.max(r.fromHour, Math.ceil(localMidnight(name, r.tz) / HOUR_MS) * HOUR_MS);
    const previous = days.at(-1);
    if (previous) previous.end = start;
    days.push({ name, start, end: rangeEnd });
  }
  return { days, bounds: [...days.map((x) => x.start), rangeEnd] };
}

/** Money shown in the campaign's currency; a rate over nothing (no impressions or clicks) shows as a dash, not as 0.00. */
function formatter(currency: string) {
  const fmt = (micros: number) => formatMoney(micros, currency);
  return { fmt, rate: (micros: number, over: number) => (over > 0 ? fmt(micros) : '–') };
}

/** A line item's counts per day of the range, and from the flight start up to each day's end (for the cumulative line). */
function itemCounts(rows: readonly ItemHour[], days: readonly RangeDay[], now: number) {
  const within = (from: number, to: number) => {
    let impressions = 0;
    let clicks = 0;
    for (const f of rows) if (f.hour >= from && f.hour < to) (impressions += f.impressions), (clicks += f.clicks);
    return { impressions, clicks };
  };
  let allImp = 0;
  let allClk = 0;
  for (const f of rows) if (f.hour <= now) (allImp += f.impressions), (allClk += f.clicks);
  const perDay = days.map((day) => within(day.start, day.end));
  const cumulative = days.map((day) => ({ ...within(-Infinity, day.end), end: day.end }));
  return { imp: perDay.map((x) => x.impressions), clk: perDay.map((x) => x.clicks), cumulative, allImp, allClk };
}

interface DayTotal extends RangeDay { spend: number; cumulative: number }

/** Adds one line item's spend per day and cumulative spend at each day's end to the campaign's. */
function addSpend(totals: readonly DayTotal[], spend: readonly number[], cumulative: readonly number[]): void {
  totals.forEach((t, i) => {
    t.spend += spend[i] ?? 0;
    t.cumulative += cumulative[i] ?? 0;
  });
}

/** Spend per line item and local day, budget, spend to date, even pacing, effective CPM and CPC. */
async function campaignMoney(o: UiAppOptions, campaign: Campaign, r: Range) {
  const id = campaign.id;
  const items = await o.store.listLineItems({ campaign_id: id });
  const now = Date.now();
  const { fmt, rate } = formatter(campaign.currency);
  const d = rangeDays(r);
  const flightStart = Math.floor(Math.min(campaign.start_at, ...items.map((li) => li.start_at)) / HOUR_MS) * HOUR_MS;
  const lastHour = Math.max(r.toHour, Math.floor(now / HOUR_MS) * HOUR_MS);
  const byItem = new Map<string, ItemHour[]>();
  for (const f of await o.store.lineItemHours(id, Math.min(flightStart, r.fromHour), lastHour)) {
    let list = byItem.get(f.line_item_id);
    if (!list) byItem.set(f.line_item_id, (list = []));
    list.push(f);
  }
  const dayTotals: DayTotal[] = d.days.map((day) => ({ ...day, spend: 0, cumulative: 0 }));
  let toDate = 0;
  const lineItems = items.map((li) => {
    const c = itemCounts(byItem.get(li.id) ?? [], d.days, now);
    const days = spendPerPeriod(li, c.imp, c.clk, d.bounds, now);
    addSpend(dayTotals, days, c.cumulative.map((x) => spendOver(li, x.impressions, x.clicks, li.start_at, x.end, now)));
    const spentToDate = spendOver(li, c.allImp, c.allClk, li.start_at, now, now);
    toDate += spentToDate;
    const spend = sum(days);
    const impressions = sum(c.imp);
    const clicks = sum(c.clk);
    return {
      id: li.id, name: li.name, price_model: li.price_model, price_micros: li.price_micros, price: fmt(li.price_micros),
      impressions, clicks, spend_micros: spend, spend: fmt(spend), spend_to_date_micros: spentToDate, spend_to_date: fmt(spentToDate),
      ecpm_micros: ecpm(spend, impressions), ecpm: rate(ecpm(spend, impressions), impressions), cpc_micros: perClick(spend, clicks), cpc: rate(perClick(spend, clicks), clicks),
    };
  });
  const spend = sum(dayTotals.map((t) => t.spend));
  const impressions = sum(lineItems.map((x) => x.impressions));
  const clicks = sum(lineItems.map((x) => x.clicks));
  const budget = campaign.budget_micros;
  return {
    campaign: id, name: campaign.name, currency: campaign.currency, from: r.from, to: r.to, tz: r.tz,
    budget_micros: budget, budget: budget > 0 ? fmt(budget) : 'unlimited',
    spend_to_date_micros: toDate, spend_to_date: fmt(toDate), budget_used_pct: budget > 0 ? Math.round((toDate / budget) * 1000) / 10 : null,
    totals: { impressions, clicks, spend_micros: spend, spend: fmt(spend), ecpm_micros: ecpm(spend, impressions), ecpm: rate(ecpm(spend, impressions), impressions), cpc_micros: perClick(spend, clicks), cpc: rate(perClick(spend, clicks), clicks) },
    line_items: lineItems,
    days: dayTotals.map((t) => {
      // Even pacing: the budget spread over the campaign's flight by time, at the day's end.
      const target = budget > 0 ? flatSpendTo(budget, campaign.start_at, campaign.end_at, t.end) : null;
      return { day: t.name, spend_micros: t.spend, spend: fmt(t.spend), cumulative_micros: t.cumulative, cumulative: fmt(t.cumulative), pacing_micros: target, pacing: target === null ? '' : fmt(target) };
    }),
  };
}

type MoneyCounts = Awaited<ReturnType<UiAppOptions['store']['moneyCounts']>>;

/** The prices behind the counts: line items, campaigns, each flat line item's impressions on every app in the range. */
async function priceBook(o: UiAppOptions, counts: MoneyCounts, r: Range) {
  const liIds = new Set(counts.map((c) => c.line_item_id));
  const cmpIds = new Set(counts.map((c) => c.campaign_id));
  const [lis, campaigns] = await Promise.all([Promise.all([...cmpIds].map((c) => o.store.listLineItems({ campaign_id: c }))), Promise.all([...cmpIds].map((c) => o.store.getCampaign(c)))]);
  const liOf = new Map<string, LineItem>(lis.flat().filter((li) => liIds.has(li.id)).map((li) => [li.id, li]));
  const campaignOf = new Map(campaigns.filter((c) => c !== undefined).map((c) => [c.id, c]));
  // A flat fee is split by impressions: each flat line item's impressions on every app in the range.
  const flatTotal = new Map<string, number>();
  for (const li of liOf.values()) {
    if (li.price_model !== 'flat') continue;
    const hours = await o.store.lineItemHours(li.campaign_id, r.fromHour, r.toHour);
    flatTotal.set(li.id, sum(hours.filter((h) => h.line_item_id === li.id).map((h) => h.impressions)));
  }
  return { liOf, campaignOf, flatTotal };
}

interface RevenueRow { key: string; currency: string; impressions: number; clicks: number; revenue: number }

const shape = <T extends { currency: string; impressions: number; revenue: number }>(x: T) => ({
  currency: x.currency, impressions: x.impressions, revenue_micros: x.revenue, revenue: formatMoney(x.revenue, x.currency),
  ecpm_micros: ecpm(x.revenue, x.impressions), ecpm: x.impressions > 0 ? formatMoney(ecpm(x.revenue, x.impressions), x.currency) : '–',
});

/** The publisher's revenue (its share of the spend on its apps) and eCPM per group and currency. */
async function revenueReport(o: UiAppOptions, appIds: string[], by: RevenueGroup, r: Range) {
  const now = Date.now();
  const [counts, apps, publishers] = await Promise.all([o.store.moneyCounts(appIds, r.fromHour, r.toHour, by === 'slot_id'), o.store.listApps(), o.store.listPublishers()]);
  const bpsOf = new Map(publishers.map((p) => [p.id, p.rev_share_bps]));
  const appOf = new Map(apps.map((x) => [x.id, x]));
  const { liOf, campaignOf, flatTotal } = await priceBook(o, counts, r);
  const names = by === 'campaign_id' ? new Map([...campaignOf.values()].map((c) => [c.id, c.name])) : by === 'app_id' ? new Map(apps.map((x) => [x.id, x.name])) : new Map((await o.store.listSlots()).map((s) => [s.id, s.name]));
  const groups = new Map<string, RevenueRow>();
  for (const c of counts) {
    const li = liOf.get(c.line_item_id);
    const cmp = campaignOf.get(c.campaign_id);
    if (!li || !cmp) continue; // a line item deleted since: its price is unknown
    const bps = bpsOf.get(appOf.get(c.app_id)?.publisher_id ?? '') ?? 0;
    const key = by === 'campaign_id' ? c.campaign_id : by === 'slot_id' ? c.slot_id : c.app_id;
    const g = groups.get(`${key}\t${cmp.currency}`) ?? { key, currency: cmp.currency, impressions: 0, clicks: 0, revenue: 0 };
    g.impressions += c.impressions;
    g.clicks += c.clicks;
    g.revenue += revenueFrom(li, c.impressions, c.clicks, flatTotal.get(li.id) ?? 0, bps, r.fromHour, r.toHour + HOUR_MS, now);
    groups.set(`${key}\t${cmp.currency}`, g);
  }
  const totals = new Map<string, Omit<RevenueRow, 'key'>>();
  for (const g of groups.values()) {
    const t = totals.get(g.currency) ?? { currency: g.currency, impressions: 0, clicks: 0, revenue: 0 };
    (t.impressions += g.impressions), (t.clicks += g.clicks), (t.revenue += g.revenue);
    totals.set(g.currency, t);
  }
  const rows = [...groups.values()]
    .sort((x, y) => y.revenue - x.revenue || (x.key < y.key ? -1 : 1))
    .map((g) => ({ [by]: g.key || '(no slot)', name: names.get(g.key) ?? g.key, clicks: g.clicks, ...shape(g) }));
  return { totals: [...totals.values()].sort((x, y) => (x.currency < y.currency ? -1 : 1)).map((t) => ({ clicks: t.clicks, ...shape(t) })), rows };
}

export function moneyRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/campaigns/:id/money', {
      schema: { tags: ['campaigns'], summary: 'spend per line item and local day, budget, spend to date, even pacing of the budget, effective CPM and CPC', params: Type.Object({ id: Type.String() }), querystring: Type.Object(RangeQuery) },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const campaign = await scopeOf(req).campaign(id);
      return respond(req, reply, await campaignMoney(o, campaign, parseRange(req.query as RangeQueryT)), `money-${id}`);
    });

    app.get('/api/apps/:app/revenue', {
      schema: {
        tags: ['apps'], summary: "the publisher's revenue (its share of the spend on its apps) and eCPM per campaign, slot or app, per currency",
        params: Type.Object({ app: Type.String() }), querystring: Type.Object({ ...RangeQuery, by: Type.Optional(Type.Union(REVENUE_GROUPS.map((g) => Type.Literal(g)))) }),
      },
    }, async (req, reply) => {
      const { app: appParam } = req.params as { app: string };
      const q = req.query as RangeQueryT & { by?: RevenueGroup };
      const appIds = await scopeOf(req).appIds(appParam);
      const by = q.by ?? 'campaign_id';
      const r = parseRange(q);
      return respond(req, reply, { app: appParam, by, from: r.from, to: r.to, tz: r.tz, ...(await revenueReport(o, appIds, by, r)) }, `revenue-${by}`);
    });
  };
}
