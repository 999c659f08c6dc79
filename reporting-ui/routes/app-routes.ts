/**
 * App reports (publishers and admins): overview with DAU/WAU/MAU and a time series, breakdowns
 * by dimension, the custom events explorer, and the ad numbers on the apps. `:app` is an app
 * id or `all` (every app the user sees).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Hll } from '../../common/hll.js';
import { REPORT_DIMENSIONS, type ReportDimension } from '../../store/migrations.js';
import { CAMPAIGN_GROUPS, type CampaignGroup, type DayDevices } from '../../store/reports.js';
import { adRows } from '../ad-rows.js';
import { countryName } from '../country-names.js';
import { badRequest } from '../errors.js';
import { FILTER_HOURLY_MAX_DAYS, FilterQuery, filteredRangeTotals, filteredSeries, parseFilter } from '../filtered-overview.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { avgSessionS, bucketSeries, sums, type Bucket } from '../series.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { dayMinus, parseRange, utcDays } from '../time-range.js';


type Range = ReturnType<typeof parseRange>;

/** Under a filter: events, sessions and ads only; devices are not kept per dimension value (null, not a wrong figure). */
async function filteredOverview(o: UiAppOptions, ids: string[], filter: NonNullable<ReturnType<typeof parseFilter>>, r: Range, prev: Range, bucket: Bucket) {
  const [series, previous] = await Promise.all([filteredSeries(o.store, ids, filter, r, bucket), filteredRangeTotals(o.store, ids, filter, prev.fromHour, prev.toHour)]);
  const t = sums(series);
  const totals = { ...t, avg_session_s: avgSessionS(t.sessions, t.session_ms), dau: null, dau_day: null, dau_partial: false, wau: null, mau: null, devices_in_range: null };
  return { filter, previous: { from: prev.from, to: prev.to, ...previous }, totals, series, dau: [] };
}

type DeviceDays = Map<string, { exact: number; hll: Hll }>;

/** Devices by UTC day: exact per app (a device has one platform, so platforms add up), a sketch across apps. */
function devicesByDay(daily: readonly DayDevices[]): DeviceDays {
  const byDay: DeviceDays = new Map();
  for (const d of daily) {
    let x = byDay.get(d.day);
    if (!x) byDay.set(d.day, (x = { exact: 0, hll: new Hll() }));
    x.exact += d.devices;
    x.hll.merge(Hll.fromBase64(d.devices_hll));
  }
  return byDay;
}

/** Distinct devices over the UTC days from..to: exact for one app and one day, else the merged sketch's estimate. */
function uniques(byDay: DeviceDays, oneApp: boolean, from: string, to: string): number {
  const h = new Hll();
  let exact = 0;
  let n = 0;
  for (const day of utcDays(from, to)) {
    const x = byDay.get(day);
    if (x) h.merge(x.hll), (exact += x.exact), n++;
  }
  return n === 1 && oneApp ? exact : Math.round(h.estimate());
}

async function overview(o: UiAppOptions, ids: string[], r: Range, prev: Range, bucket: Bucket) {
  const monthStart = dayMinus(r.toDay, 29);
  const [hours, daily, prevHours] = await Promise.all([o.store.hourTotals(ids, r.fromHour, r.toHour), o.store.dayDevices(ids, monthStart < r.fromDay ? monthStart : r.fromDay, r.toDay), o.store.hourTotals(ids, prev.fromHour, prev.toHour)]);
  const series = bucketSeries(hours, (h) => h.hour, r, bucket);
  const byDay = devicesByDay(daily);
  const oneApp = ids.length === 1;
  // Devices are kept per UTC day: the chart shows the UTC days named like the range's local days
  // (in New York a 1-day range touches two UTC days; drawing both made a line down to 0).
  const dau = utcDays(r.from, r.to).map((day) => {
    const x = byDay.get(day);
    return { day, devices: x ? (oneApp ? x.exact : Math.round(x.hll.estimate())) : 0 };
  });
  // DAU of the last whole UTC day in range with data; today only when nothing else has any (then marked partial).
  const today = new Date().toISOString().slice(0, 10);
  const latest = [...dau].reverse().find((d) => d.devices > 0 && d.day < today) ?? dau.find((d) => d.devices > 0 && d.day === today);
  const totals = sums(series);
  const p = sums(prevHours);
  const previous = { from: prev.from, to: prev.to, ...p, avg_session_s: avgSessionS(p.sessions, p.session_ms) };
  return {
    previous,
    totals: { ...totals, avg_session_s: avgSessionS(totals.sessions, totals.session_ms), dau: latest?.devices ?? 0, dau_day: latest?.day ?? null, dau_partial: latest?.day === today, wau: uniques(byDay, oneApp, dayMinus(r.toDay, 6), r.toDay), mau: uniques(byDay, oneApp, monthStart, r.toDay), devices_in_range: uniques(byDay, oneApp, r.fromDay, r.toDay) },
    series,
    dau,
  };
}

const AppParam = Type.Object({ app: Type.String({ description: "an app id, or 'all'" }) });

export function appRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/apps', { schema: { tags: ['apps'], summary: 'the apps you see (format=csv)' } }, async (req, reply) => respond(req, reply, { apps: await scopeOf(req).visibleApps() }, 'apps'));

    app.get('/api/apps/:app/overview', {
      schema: { tags: ['apps'], summary: 'DAU/WAU/MAU, sessions, average session length, events, and their time series (hourly up to 3 days, else daily, in tz)', params: AppParam, querystring: Type.Object({ ...RangeQuery, ...FilterQuery, bucket: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])) }) },
    }, async (req, reply) => {
      const { app: appId } = req.params as { app: string };
      const q = req.query as RangeQueryT & { bucket?: 'hour' | 'day'; filter?: string };
      const r = parseRange(q);
      const ids = await scopeOf(req).appIds(appId);
      const bucket = q.bucket ?? (r.days <= 3 ? 'hour' : 'day');
      // The period before, as many local days long, for the comparison on the cards.
      const prev = parseRange({ from: dayMinus(r.from, r.days), to: dayMinus(r.from, 1), tz: r.tz });
      const filter = parseFilter(q.filter);
      const body = filter ? await filteredOverview(o, ids, filter, r, prev, bucket) : await overview(o, ids, r, prev, bucket);
      return respond(req, reply, { app: appId, from: r.from, to: r.to, tz: r.tz, bucket, ...body }, `overview-${appId}`);
    });

    app.get('/api/apps/:app/breakdown', {
      schema: { tags: ['apps'], summary: 'events, sessions and ads per value of one dimension over the local days of the range', params: AppParam, querystring: Type.Object({ ...RangeQuery, ...FilterQuery, dim: Type.Union(REPORT_DIMENSIONS.map((d) => Type.Literal(d))) }) },
    }, async (req, reply) => {
      const { app: appId } = req.params as { app: string };
      const q = req.query as RangeQueryT & { dim: ReportDimension; filter?: string };
      const r = parseRange(q);
      const filter = parseFilter(q.filter);
      const ids = await scopeOf(req).appIds(appId);
      // A filter on another dimension needs every dimension per row: only the hourly facts have them, so short ranges only.
      if (filter && r.days > FILTER_HOURLY_MAX_DAYS) throw badRequest(`under a filter, breakdowns cover at most ${FILTER_HOURLY_MAX_DAYS} days`);
      const rows = filter ? await o.store.filteredDimensionTotals(ids, q.dim, filter, r.fromHour, r.toHour) : await o.store.dimensionTotals(ids, q.dim, r.fromHour, r.toHour);
      return respond(req, reply, { app: appId, dim: q.dim, from: r.from, to: r.to, filter: filter ?? null, rows: rows.map((x) => ({ ...(q.dim === 'country' ? { value: x.value, name: x.value === '' ? '(unknown country)' : countryName(x.value) } : {}), ...x, avg_session_s: x.sessions ? Math.round(x.session_ms / x.sessions / 100) / 10 : 0 })) }, `breakdown-${q.dim}`);
    });

    app.get('/api/apps/:app/custom', {
      schema: { tags: ['apps'], summary: 'custom events explorer: counts per name; with name, per prop; with name and prop, per value', params: AppParam, querystring: Type.Object({ ...RangeQuery, name: Type.Optional(Type.String()), prop: Type.Optional(Type.String()) }) },
    }, async (req, reply) => {
      const { app: appId } = req.params as { app: string };
      const q = req.query as RangeQueryT & { name?: string; prop?: string };
      const r = parseRange(q);
      const rows = await o.store.customTotals(await scopeOf(req).appIds(appId), r.fromDay, r.toDay, q.name || undefined, q.name && q.prop ? q.prop : undefined);
      const level = !q.name ? 'name' : !q.prop ? 'prop' : 'value';
      return respond(req, reply, { app: appId, level, name: q.name ?? null, prop: q.prop ?? null, rows: rows.map((x) => ({ [level]: x.key, count: x.count })) }, `custom-${level}`);
    });

    app.get('/api/apps/:app/ads', {
      schema: { tags: ['apps'], summary: 'impressions, clicks and CTR on the apps grouped by one column, with names; requests and fill rate where requests mean something (not per campaign, line item or creative)', params: AppParam, querystring: Type.Object({ ...RangeQuery, by: Type.Optional(Type.Union(CAMPAIGN_GROUPS.map((g) => Type.Literal(g)))) }) },
    }, async (req, reply) => {
      const { app: appId } = req.params as { app: string };
      const q = req.query as RangeQueryT & { by?: CampaignGroup };
      const r = parseRange(q);
      const by = q.by ?? 'campaign_id';
      const rows = await o.store.campaignTotals({ appIds: await scopeOf(req).appIds(appId) }, by, r.fromHour, r.toHour);
      return respond(req, reply, { app: appId, by, rows: await adRows(o.store, by, rows, true) }, `ads-${by}`);
    });
  };
}
