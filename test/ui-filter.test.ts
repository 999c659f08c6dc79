import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY_MS, parseUtcDay, utcDay } from '../common/time.js';
import type { UiTier } from '../reporting-ui/run.js';
import type { GroundTruth } from '../sdk-mock/ground-truth.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { runJobs } from './helpers/jobs.js';
import { adminUi } from './helpers/truth-ui.js';
import { fleetLake, runPipelineOnce } from './helpers/pipeline.js';
import type { Json } from './helpers/json.js';

/**
 * The overview and the breakdowns under a filter (one dimension = value) against the fleet's
 * ground truth: platform from the per app, day and platform rows, country and app version from
 * the per app, day and dimension rows (sdk-mock/truth-dims.ts), in UTC and zones off UTC.
 */
const ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'];

describe('reports under a filter against the fleet ground truth', () => {
  let fx: Awaited<ReturnType<typeof fleetLake>>;
  let store: SqliteStore;
  let ui: UiTier;
  let cookie = '';
  let truth: GroundTruth;
  let apps: string[] = [];
  let days: string[] = [];
  let from = '';
  let to = '';
  const get = async (url: string, status = 200): Promise<Json> => {
    const res = await fetch(ui.url + url, { headers: { cookie } });
    const body = (await res.json()) as Json;
    assert.equal(res.status, status, `${url}: ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };

  before(async () => {
    fx = await fleetLake(100, 33, 0.4);
    truth = fx.truth;
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    store = new SqliteStore({ path: fx.dbPath });
    await store.migrate();
    const run = await runJobs(fx.lakeDir, store, { stateDir: join(fx.dir, 'state'), threads: 2 });
    assert.equal(run.status, 'succeeded', run.error ?? '');
    apps = (await store.listApps()).map((a) => a.id);
    days = [...new Set(truth.app_days.map((r) => r.day))].sort();
    from = utcDay(parseUtcDay(days[0]!) - DAY_MS);
    to = utcDay(parseUtcDay(days[days.length - 1]!) + DAY_MS);
    ({ ui, cookie } = await adminUi(store, 'admin@filter.example'));
  });
  after(async () => {
    await ui?.close();
    await store?.close();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });

  const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0);
  /** Truth rows of one app under a filter, as {day, events, sessions, session_ms, impressions, clicks}. */
  const truthRows = (app: string, dim: string, value: string) =>
    dim === 'platform'
      ? truth.app_days.filter((r) => r.app_id === app && r.platform === value).map((r) => ({ day: r.day, events: r.events_total, sessions: r.sessions, session_ms: r.session_ms, impressions: r.events.ad_impression ?? 0, clicks: r.events.ad_click ?? 0 }))
      : truth.app_day_dims.filter((r) => r.app_id === app && r.dim === dim && r.value === value).map((r) => ({ day: r.day, events: r.events_total, sessions: r.sessions, session_ms: r.session_ms, impressions: r.ad_impression, clicks: r.ad_click }));
  /** A few (dim, value) pairs per app: both platforms, the two busiest countries and app versions. */
  const filtersOf = (app: string): [string, string][] => {
    const top = (dim: string) => {
      const by = new Map<string, number>();
      for (const r of truth.app_day_dims.filter((x) => x.app_id === app && x.dim === dim)) by.set(r.value, (by.get(r.value) ?? 0) + r.events_total);
      return [...by].sort((a, b) => b[1] - a[1]).slice(0, 2).map(([v]) => [dim, v] as [string, string]);
    };
    return [['platform', 'ios'], ['platform', 'android'], ...top('country'), ...top('app_version')];
  };

  test('the truth has rows per country and app version, and they add up to the per platform rows', () => {
    assert.ok(truth.app_day_dims.length > 0);
    for (const app of apps) {
      const all = sum(truth.app_days.filter((r) => r.app_id === app), (r) => r.events_total);
      for (const dim of ['country', 'app_version']) assert.equal(sum(truth.app_day_dims.filter((r) => r.app_id === app && r.dim === dim), (r) => r.events_total), all, `${app} ${dim}`);
    }
  });

  for (const tz of ZONES) {
    test(`filtered overview totals equal the truth for platform, country and app version in ${tz}`, async () => {
      let checked = 0;
      for (const app of apps) {
        for (const [dim, value] of filtersOf(app)) {
          const t = truthRows(app, dim, value);
          const o = await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=${encodeURIComponent(tz)}&filter=${dim}:${encodeURIComponent(value)}`);
          const what = `${app} ${dim}=${value} ${tz}`;
          assert.deepEqual(o.filter, { dim, value });
          assert.equal(o.totals.events, sum(t, (r) => r.events), `${what} events`);
          assert.equal(o.totals.sessions, sum(t, (r) => r.sessions), `${what} sessions`);
          assert.equal(o.totals.session_ms, sum(t, (r) => r.session_ms), `${what} session time`);
          assert.equal(o.totals.ad_impressions, sum(t, (r) => r.impressions), `${what} impressions`);
          assert.equal(o.totals.ad_clicks, sum(t, (r) => r.clicks), `${what} clicks`);
          assert.equal(sum(o.series as Json[], (s) => s.events), o.totals.events, `${what}: the series adds up to the totals`);
          if (t.length) checked++;
        }
      }
      assert.ok(checked >= apps.length * 4, `checked ${checked}`);
    });
  }

  test('each UTC day of a filtered daily series, and each day of an hourly series, equals the truth', async () => {
    for (const app of apps) {
      for (const [dim, value] of filtersOf(app)) {
        const t = truthRows(app, dim, value);
        const byDay = new Map(days.map((d) => [d, sum(t.filter((r) => r.day === d), (r) => r.events)]));
        const o = await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=UTC&bucket=day&filter=${dim}:${encodeURIComponent(value)}`);
        for (const s of o.series) assert.equal(s.events, byDay.get(s.t) ?? 0, `${app} ${dim}=${value} ${s.t}`);
        // Two days hour by hour (agg_app_hourly), and the period before them (the daily rollup and its ends).
        const [d1, d2] = [days[2]!, days[3]!];
        const h = await get(`/api/apps/${app}/overview?from=${d1}&to=${d2}&tz=UTC&bucket=hour&filter=${dim}:${encodeURIComponent(value)}`);
        assert.equal(h.series.length, 48);
        assert.equal(sum(h.series as Json[], (s) => s.events), byDay.get(d1)! + byDay.get(d2)!, `${app} ${dim}=${value} hourly`);
        assert.equal(h.previous.events, byDay.get(days[0]!)! + byDay.get(days[1]!)!, `${app} ${dim}=${value} previous period`);
        assert.equal(h.previous.sessions, sum(t.filter((r) => r.day === days[0] || r.day === days[1]), (r) => r.sessions), `${app} ${dim}=${value} previous sessions`);
      }
    }
  });

  test('devices are not available under a filter: DAU, WAU and MAU answer null, not a figure', async () => {
    const o = await get(`/api/apps/${apps[0]}/overview?from=${from}&to=${to}&filter=platform:ios`);
    assert.equal(o.totals.dau, null);
    assert.equal(o.totals.wau, null);
    assert.equal(o.totals.mau, null);
    assert.deepEqual(o.dau, []);
    const plain = await get(`/api/apps/${apps[0]}/overview?from=${from}&to=${to}`);
    assert.equal(typeof plain.totals.mau, 'number');
  });

  test('a breakdown under a filter on another dimension equals the truth over up to 3 days, and longer ranges are refused', async () => {
    const [a, b] = [days[2]!, days[4]!];
    const inDays = <T extends { day: string }>(rows: T[]) => rows.filter((r) => r.day >= a && r.day <= b);
    for (const app of apps) {
      for (const platform of ['ios', 'android']) {
        const t = inDays(truthRows(app, 'platform', platform));
        const br = await get(`/api/apps/${app}/breakdown?from=${a}&to=${b}&dim=country&filter=platform:${platform}`);
        assert.equal(sum(br.rows as Json[], (r) => r.events), sum(t, (r) => r.events), `${app} ${platform} by country`);
        assert.equal(sum(br.rows as Json[], (r) => r.sessions), sum(t, (r) => r.sessions), `${app} ${platform} sessions by country`);
      }
      for (const [dim, value] of filtersOf(app).filter(([d]) => d !== 'platform')) {
        const br = await get(`/api/apps/${app}/breakdown?from=${a}&to=${b}&dim=platform&filter=${dim}:${encodeURIComponent(value)}`);
        assert.equal(sum(br.rows as Json[], (r) => r.events), sum(inDays(truthRows(app, dim, value)), (r) => r.events), `${app} ${dim}=${value} by platform`);
      }
      // The filter's own dimension: one row, the value itself.
      const own = await get(`/api/apps/${app}/breakdown?from=${a}&to=${b}&dim=platform&filter=platform:ios`);
      assert.deepEqual(own.rows.map((r: Json) => r.value), sum(inDays(truthRows(app, 'platform', 'ios')), (r) => r.events) ? ['ios'] : []);
    }
    // Only the hourly facts hold every dimension: longer filtered breakdowns are refused, not slow.
    assert.equal((await get(`/api/apps/${apps[0]}/breakdown?from=${days[0]}&to=${days[3]}&dim=country&filter=platform:ios`, 400)).code, 'UI_ERR_BAD_REQUEST');
  });

  test('off UTC, a filtered daily series is per local day and an hourly series may cover a whole month', async () => {
    const app = apps[0]!;
    const t = truthRows(app, 'platform', 'ios');
    const o = await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=Asia/Tokyo&bucket=day&filter=platform:ios`);
    assert.deepEqual(o.series.map((s: Json) => s.t), (await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=Asia/Tokyo&bucket=day`)).series.map((s: Json) => s.t));
    assert.equal(sum(o.series as Json[], (s) => s.events), sum(t, (r) => r.events));
    const h = await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=UTC&bucket=hour&filter=platform:ios`);
    assert.equal(sum(h.series as Json[], (s) => s.sessions), sum(t, (r) => r.sessions));
  });

  test('a filter on an unknown dimension, with no value or too long a value answers 400', async () => {
    for (const f of ['device_model:x', 'platform:', 'platform', ':ios', `country:${'x'.repeat(65)}`]) {
      const b = await get(`/api/apps/${apps[0]}/overview?from=${from}&to=${to}&filter=${encodeURIComponent(f)}`, 400);
      assert.equal(b.code, 'UI_ERR_BAD_REQUEST', f);
    }
  });
});
