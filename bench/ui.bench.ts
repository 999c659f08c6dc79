/**
 * bench:ui — the reporting API's main report calls over a 30-day range for one app with 1M
 * events a day in the store, on SQLite and on MariaDB (a throwaway server, installed if
 * missing). The facts are shaped like a real app's at that volume (per hour ~1,500 dimension
 * rows and ~800 ad rows; daily HyperLogLogs of ~150k devices) and loaded through the store's
 * own replaceAppDay. Then over loopback HTTP, as a logged-in publisher (and an advertiser for
 * the campaign calls), each call is made --requests times; prints p50, p95 and max per call.
 * Goal: p95 < 100 ms. Usage: npm run bench:ui [-- --requests 50 --days 30 --backends sqlite,mysql]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Hll } from '../common/hll.js';
import { createLogger } from '../common/logger.js';
import { DAY_MS, HOUR_MS, utcDay } from '../common/time.js';
import { ensureUser, startUi } from '../reporting-ui/run.js';
import type { AppDayFacts, AppHourlyRow, CampaignHourlyRow, CustomDailyRow } from '../store/facts.js';
import { MysqlStore } from '../store/mysql-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import { startMariaDb } from '../test/helpers/mariadb.js';
import { seedAudience } from './audience-fixture.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '50' }, days: { type: 'string', default: '30' }, backends: { type: 'string', default: 'sqlite,mysql' } } });
const REQUESTS = Number(values.requests);
const DAYS = Number(values.days);
const EVENTS_PER_DAY = 1_000_000;
const PASSWORD = 'bench-password';
const APP = 'app_bench';
const OS = { ios: ['16.7', '17.2', '17.4', '17.5', '18.0', '18.1'], android: ['11', '12', '13', '14', '15', '10'] };
const VERSIONS = ['3.0.0', '3.1.0', '3.1.2', '3.2.0', '3.3.0'];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'IN', 'BR', 'JP', 'CA', 'AU', 'MX', 'ES', 'IT', 'ID', 'TR', 'KR', 'NL', 'SE', 'PL', 'AR', 'ZA'];
const CLASSES = ['phone', 'tablet', 'other'];

/** A deterministic pseudo-random stream (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dayFacts(day: string, r: () => number): AppDayFacts {
  const t0 = Date.parse(`${day}T00:00:00Z`);
  const hourly: AppHourlyRow[] = [];
  const campaign: CampaignHourlyRow[] = [];
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * r() * a.length)]!;
  for (let h = 0; h < 24; h++) {
    const hour = t0 + h * HOUR_MS;
    const perHour = Math.round((EVENTS_PER_DAY / 24) * (0.6 + 0.8 * Math.sin((Math.PI * h) / 24)));
    const cells = new Map<string, AppHourlyRow>();
    for (let k = 0; k < 2500 && cells.size < 1500; k++) {
      const platform = r() < 0.55 ? 'ios' : 'android';
      const dims = [platform, pick(OS[platform]), pick(VERSIONS), pick(COUNTRIES), pick(CLASSES)] as const;
      const key = dims.join('|');
      if (!cells.has(key)) cells.set(key, { app_id: APP, hour, day, platform: dims[0], os_version: dims[1], app_version: dims[2], country: dims[3], device_class: dims[4], devices: 0, events: 0, app_open: 0, app_close: 0, app_background: 0, app_foreground: 0, ad_request: 0, ad_impression: 0, ad_click: 0, ad_interaction: 0, custom: 0, sessions: 0, session_ms: 0 });
    }
    const rows = [...cells.values()];
    const per = Math.max(1, Math.floor(perHour / rows.length));
    for (const c of rows) {
      const n = per;
      c.app_open = c.app_close = Math.round(n * 0.05);
      c.app_background = c.app_foreground = Math.round(n * 0.1);
      c.ad_request = Math.round(n * 0.15);
      c.ad_impression = Math.round(n * 0.12);
      c.ad_click = Math.round(n * 0.004);
      c.custom = n - (2 * c.app_open + 2 * c.app_background + c.ad_request + c.ad_impression + c.ad_click);
      c.events = n;
      c.sessions = c.app_open;
      c.session_ms = c.sessions * 95_000;
      c.devices = Math.max(1, Math.round(n / 6));
    }
    hourly.push(...rows.sort((a, b) => (`${a.platform}|${a.os_version}|${a.app_version}|${a.country}|${a.device_class}` < `${b.platform}|${b.os_version}|${b.app_version}|${b.country}|${b.device_class}` ? -1 : 1)));
    const ads = new Map<string, CampaignHourlyRow>();
    for (let k = 0; k < 1200 && ads.size < 800; k++) {
      const c = Math.floor(r() * 10);
      const row: CampaignHourlyRow = { app_id: APP, hour, day, campaign_id: `cmp_${c}`, line_item_id: `li_${c}`, creative_id: `cr_${c}_${Math.floor(r() * 3)}`, slot_id: `slot_${Math.floor(r() * 4)}`, platform: r() < 0.55 ? 'ios' : 'android', country: pick(COUNTRIES), requests: 60, impressions: 50, clicks: 1, interactions: 0 };
      const key = [row.campaign_id, row.line_item_id, row.creative_id, row.slot_id, row.platform, row.country].join('|');
      if (!ads.has(key)) ads.set(key, row);
    }
    campaign.push(...[...ads.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v));
  }
  const hll = (platform: string, n: number) => {
    const h = new Hll();
    for (let i = 0; i < n; i++) h.add(`${platform}-${Math.floor(r() * 400_000)}`);
    return h.toBase64();
  };
  const daily = ['android', 'ios'].map((platform) => {
    const sum = (k: keyof AppHourlyRow) => hourly.filter((h) => h.platform === platform).reduce((s, h) => s + (h[k] as number), 0);
    return {
      app_id: APP, day, platform, events: sum('events'), app_open: sum('app_open'), app_close: sum('app_close'), app_background: sum('app_background'), app_foreground: sum('app_foreground'),
      ad_request: sum('ad_request'), ad_impression: sum('ad_impression'), ad_click: sum('ad_click'), ad_interaction: 0, custom: sum('custom'), sessions: sum('sessions'), session_ms: sum('session_ms'),
      devices: 70_000, devices_hll: hll(platform, 70_000), seq_gaps: 120, duplicates: 90_000,
    };
  });
  const custom: CustomDailyRow[] = [];
  for (const name of ['level_complete', 'purchase', 'screen_view', 'share']) {
    custom.push({ app_id: APP, day, name, prop: '', value: '', count: 20_000 });
    for (const prop of ['level', 'sku', 'screen']) for (let v = 0; v < 20; v++) custom.push({ app_id: APP, day, name, prop, value: String(v), count: 1000 - v });
  }
  custom.sort((a, b) => (`${a.name}\u0000${a.prop}\u0000${a.value}` < `${b.name}\u0000${b.prop}\u0000${b.value}` ? -1 : 1));
  return { hourly, daily, campaign, custom, touches: [] };
}

async function seed(store: ReportStore, end: number): Promise<number> {
  await store.migrate();
  await store.createPublisher({ id: 'pub_bench', name: 'Bench publisher' });
  await store.createApp({ id: APP, publisher_id: 'pub_bench', name: 'Bench app', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
  await store.createAdvertiser({ id: 'adv_bench', name: 'Bench advertiser' });
  const start = end - DAYS * DAY_MS;
  await store.createCampaign({ id: 'cmp_0', advertiser_id: 'adv_bench', name: 'Bench campaign', start_at: start, end_at: end + DAY_MS, status: 'active', budget_micros: 50_000_000_000, currency: 'USD', priority: 5, exclusion_labels: [] });
  await store.createLineItem({ id: 'li_0', campaign_id: 'cmp_0', name: 'Bench line', start_at: start, end_at: end + DAY_MS, status: 'active', goal_type: 'impressions', goal: 10_000_000, delivery: 'even', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, price_model: 'cpm', price_micros: 2_500_000, slot_ids: [] });
  await ensureUser(store, { email: 'publisher@bench.example', password: PASSWORD, role: 'publisher', publisher_id: 'pub_bench' });
  await ensureUser(store, { email: 'advertiser@bench.example', password: PASSWORD, role: 'advertiser', advertiser_id: 'adv_bench' });
  const r = rng(7);
  let rows = 0;
  for (let d = DAYS; d >= 1; d--) {
    const day = utcDay(end - d * DAY_MS);
    const f = dayFacts(day, r);
    rows += f.hourly.length + f.campaign.length + f.custom.length + f.daily.length;
    await store.replaceAppDay(APP, day, f, 'bench', Date.now());
    process.stdout.write(`\r  loading ${day}: ${rows.toLocaleString('en')} fact rows`);
  }
  process.stdout.write('\n');
  rows += await seedAudience(store, APP, end, DAYS, VERSIONS);
  return rows + (await seedFunnelReach(store, end));
}

/** REACH_APPS: the apps a campaign runs on; each app-day holds one dense reach sketch (~50k devices). */
const REACH_APPS = 20;

/** A 5-step funnel of the bench app and cmp_0's reach on REACH_APPS apps, per day (sketches reused across days: same size, faster to make). */
async function seedFunnelReach(store: ReportStore, end: number): Promise<number> {
  await store.createFunnel({ id: 'fnl_bench', app_id: APP, name: 'Bench funnel', steps: ['screen_view', 'level_complete', 'add_to_cart', 'purchase', 'share'] });
  const sketches = Array.from({ length: REACH_APPS }, (_, a) => {
    const h = new Hll();
    for (let i = 0; i < 50_000; i++) h.add(`dev-${a}-${i}`);
    return h.toBase64();
  });
  let rows = 0;
  for (let d = DAYS; d >= 1; d--) {
    const day = utcDay(end - d * DAY_MS);
    const funnel = [60_000, 30_000, 9_000, 2_000, 500].map((devices, k) => ({ app_id: APP, day, funnel_id: 'fnl_bench', step: k + 1, devices: devices + d }));
    await store.replaceFunnelReachDay(APP, day, funnel, [{ app_id: APP, day, campaign_id: 'cmp_0', impressions: 150_000 + d, devices_hll: sketches[0]! }]);
    // The other apps' reach rows of the campaign (no other facts: only the reach read needs them).
    for (let a = 1; a < REACH_APPS; a++) await store.replaceFunnelReachDay(`app_reach_${a}`, day, [], [{ app_id: `app_reach_${a}`, day, campaign_id: 'cmp_0', impressions: 120_000 + a, devices_hll: sketches[a]! }]);
    rows += funnel.length + REACH_APPS;
  }
  return rows;
}

const pct = (xs: number[], p: number) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function measure(name: string, store: ReportStore): Promise<boolean> {
  const end = Date.parse(`${utcDay(Date.now())}T00:00:00Z`);
  const t0 = performance.now();
  const rows = await seed(store, end);
  console.log(`${name}: ${rows.toLocaleString('en')} fact rows for ${DAYS} days of ${EVENTS_PER_DAY.toLocaleString('en')} events/day loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const ui = await startUi({ host: '127.0.0.1', port: 0, trackingUrl: '', liveToken: '', metricsUrls: '', adminEmail: '', adminPassword: '', sessionHours: 1, secureCookies: false, loginRatePerMinute: 1000 }, store, createLogger('bench', 'warn'));
  const login = async (email: string) => {
    const res = await fetch(`${ui.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
    return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  };
  const pub = await login('publisher@bench.example');
  const adv = await login('advertiser@bench.example');
  const from = utcDay(end - DAYS * DAY_MS);
  const to = utcDay(end - DAY_MS);
  const range = `from=${from}&to=${to}&tz=America/New_York`;
  // Reads of the hourly facts under a filter are for ranges of up to 3 days.
  const short = `from=${utcDay(end - 3 * DAY_MS)}&to=${to}&tz=America/New_York`;
  const calls: [string, string, string][] = [
    ['overview (DAU/WAU/MAU, daily series)', pub, `/api/apps/${APP}/overview?${range}`],
    ['overview, hourly series', pub, `/api/apps/${APP}/overview?${range}&bucket=hour`],
    ['breakdown by country', pub, `/api/apps/${APP}/breakdown?${range}&dim=country`],
    ['breakdown by os_version', pub, `/api/apps/${APP}/breakdown?${range}&dim=os_version`],
    ['custom events: names', pub, `/api/apps/${APP}/custom?${range}`],
    ['custom events: values', pub, `/api/apps/${APP}/custom?${range}&name=purchase&prop=sku`],
    ['audience (cohorts, versions)', pub, `/api/apps/${APP}/audience?${range}`],
    ['ads by creative', pub, `/api/apps/${APP}/ads?${range}&by=creative_id`],
    ['data health', pub, `/api/health?${range}`],
    ['campaign delivery vs pacing', adv, `/api/campaigns/cmp_0/delivery?${range}`],
    ['campaign by country', adv, `/api/campaigns/cmp_0/report?${range}&by=country`],
    ['campaign conversions', adv, `/api/campaigns/cmp_0/conversions?${range}`],
    ['funnel steps (UTC days)', pub, `/api/apps/${APP}/funnels/fnl_bench?from=${from}&to=${to}`],
    [`campaign reach (${REACH_APPS} apps' sketches a day)`, adv, `/api/campaigns/cmp_0/reach?from=${from}&to=${to}`],
    ['campaign money (spend, budget, pacing)', adv, `/api/campaigns/cmp_0/money?${range}`],
    ['revenue by campaign', pub, `/api/apps/${APP}/revenue?${range}&by=campaign_id`],
    ['revenue by slot', pub, `/api/apps/${APP}/revenue?${range}&by=slot_id`],
    ['overview filtered by platform (daily)', pub, `/api/apps/${APP}/overview?${range}&filter=platform:ios`],
    ['overview filtered by country, UTC days', pub, `/api/apps/${APP}/overview?from=${from}&to=${to}&tz=UTC&filter=country:US`],
    ['overview filtered by app_version, hourly', pub, `/api/apps/${APP}/overview?${range}&bucket=hour&filter=app_version:${VERSIONS[0]}`],
    ['breakdown by country filtered by platform, 3 days', pub, `/api/apps/${APP}/breakdown?${short}&dim=country&filter=platform:ios`],
    ['data health scores', pub, `/api/health/scores?${range}`],
    ['restatements, a page', pub, `/api/health/restatements?${range}&limit=100`],
    ['quarantined rows, a page', pub, `/api/health/quarantined?${range}&limit=100`],
    ['inventory per slot and day', pub, `/api/inventory?${range}`],
  ];
  let ok = true;
  console.log(`  ${'call'.padEnd(40)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)}  (${REQUESTS} requests each, after 3 warm-up)`);
  for (const [label, cookie, url] of calls) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS + 3; i++) {
      const t = performance.now();
      const res = await fetch(ui.url + url, { headers: { cookie } });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${Buffer.from(body).toString().slice(0, 300)}`);
      if (i >= 3) times.push(performance.now() - t);
    }
    const p95 = pct(times, 95);
    if (p95 >= 100) ok = false;
    console.log(`  ${label.padEnd(40)} ${pct(times, 50).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)} ${Math.max(...times).toFixed(1).padStart(8)}${p95 >= 100 ? '  over the 100 ms goal' : ''}`);
  }
  await ui.close();
  return ok;
}

const backends = values.backends!.split(',');
const dir = resolve('data/bench-ui');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const results: string[] = [];
if (backends.includes('sqlite')) {
  const store = new SqliteStore({ path: join(dir, 'sluice.db') });
  results.push(`SQLite: ${(await measure('SQLite', store)) ? 'every p95 under 100 ms' : 'some p95 at or over 100 ms'}`);
  await store.close();
}
if (backends.includes('mysql')) {
  const db = await startMariaDb();
  const store = new MysqlStore({ url: await db.createDatabase() });
  try {
    results.push(`MariaDB: ${(await measure('MariaDB', store)) ? 'every p95 under 100 ms' : 'some p95 at or over 100 ms'}`);
  } finally {
    await store.close();
    await db.stop();
  }
}
console.log(`goal p95 < 100 ms: ${results.join('; ')}`);
rmSync(dir, { recursive: true, force: true });
