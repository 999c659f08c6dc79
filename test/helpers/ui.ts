/**
 * A reporting UI over a real SQLite (or MariaDB) store on loopback, with two publishers, two
 * advertisers, a user of each, an admin, and three days of facts loaded through the store's
 * own replaceAppDay (real HyperLogLogs, campaign rows of both advertisers on both publishers'
 * apps). `login` answers a cookie header.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hll } from '../../common/hll.js';
import { createLogger } from '../../common/logger.js';
import { DAY_MS, HOUR_MS, utcDay } from '../../common/time.js';
import { startUi, ensureUser, type UiTier } from '../../reporting-ui/run.js';
import { campaignRow, customRow, daily, hourly } from '../store/fact-fixtures.js';
import type { AppDayFacts } from '../../store/facts.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { ReportStore } from '../../store/store.js';

export const PASSWORD = 'password-123';

export async function seedTenants(store: ReportStore, now = Date.now()) {
  const pubA = await store.createPublisher({ id: 'pub_a', name: 'Publisher A' });
  const pubB = await store.createPublisher({ id: 'pub_b', name: 'Publisher B' });
  const mk = (id: string, publisher_id: string) => store.createApp({ id, publisher_id, name: `App ${id}`, platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
  const apps = { a1: await mk('app_a1', pubA.id), a2: await mk('app_a2', pubA.id), b1: await mk('app_b1', pubB.id) };
  const slots = {
    a1: await store.createSlot({ id: 'slot_a1', app_id: 'app_a1', name: 'banner', size: '320x50' }),
    b1: await store.createSlot({ id: 'slot_b1', app_id: 'app_b1', name: 'banner', size: '320x50' }),
  };
  const advX = await store.createAdvertiser({ id: 'adv_x', name: 'Advertiser X' });
  const advY = await store.createAdvertiser({ id: 'adv_y', name: 'Advertiser Y' });
  const flight = { start_at: now - 10 * DAY_MS, end_at: now + 20 * DAY_MS, status: 'active' as const, budget_micros: 0, priority: 5, exclusion_labels: [] };
  const cmpX = await store.createCampaign({ id: 'cmp_x', advertiser_id: advX.id, name: 'X spring', ...flight });
  const cmpY = await store.createCampaign({ id: 'cmp_y', advertiser_id: advY.id, name: 'Y autumn', ...flight });
  const li = (id: string, campaign_id: string) => store.createLineItem({ id, campaign_id, name: `${id} line`, ...flight, goal_type: 'impressions', goal: 10_000, delivery: 'even', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, cpm_micros: 1_000_000, slot_ids: [] });
  await li('li_x', cmpX.id);
  await li('li_y', cmpY.id);
  const users = {
    admin: { email: 'admin@test.example', role: 'admin' as const },
    pubA: { email: 'pub-a@test.example', role: 'publisher' as const, publisher_id: pubA.id },
    pubB: { email: 'pub-b@test.example', role: 'publisher' as const, publisher_id: pubB.id },
    advX: { email: 'adv-x@test.example', role: 'advertiser' as const, advertiser_id: advX.id },
    advY: { email: 'adv-y@test.example', role: 'advertiser' as const, advertiser_id: advY.id },
  };
  for (const u of Object.values(users)) await ensureUser(store, { ...u, password: PASSWORD });
  // Three full UTC days before today, different numbers per app.
  const days = [3, 2, 1].map((k) => utcDay(now - k * DAY_MS));
  let seed = 1;
  for (const app of Object.values(apps)) {
    for (const day of days) await store.replaceAppDay(app.id, day, appDayFacts(app.id, day, seed++), 'seed', now);
  }
  return { apps, slots, users, days, campaigns: { x: cmpX, y: cmpY } };
}

/** Facts of one app-day with consistent totals: hours 0, 6 and 13; devices in a real sketch. */
export function appDayFacts(app: string, day: string, seed: number): AppDayFacts {
  const t = Date.parse(`${day}T00:00:00Z`);
  const hll = (n: number) => {
    const h = new Hll();
    for (let i = 0; i < n; i++) h.add(`${app}-dev-${i}`);
    return h.toBase64();
  };
  return {
    hourly: [
      hourly(app, t, seed, { country: 'US' }),
      hourly(app, t + 6 * HOUR_MS, seed + 1, { country: 'FR' }),
      hourly(app, t + 13 * HOUR_MS, seed + 2, { platform: 'android', os_version: '14', country: 'US', device_class: 'tablet' }),
    ],
    daily: [daily(app, day, seed, { devices: 10 * seed, devices_hll: hll(10 * seed) }), daily(app, day, seed, { platform: 'android', devices: 3 * seed, devices_hll: hll(3 * seed) })].sort((a, b) => (a.platform < b.platform ? -1 : 1)),
    campaign: [
      // As the jobs write them: requests come before a campaign is picked, so they sit on rows with no campaign.
      campaignRow(app, t, seed, { campaign_id: 'cmp_x', line_item_id: 'li_x', creative_id: 'cr_x', slot_id: 'slot_a1', requests: 0 }),
      campaignRow(app, t + HOUR_MS, seed + 1, { campaign_id: 'cmp_y', line_item_id: 'li_y', creative_id: 'cr_y', slot_id: 'slot_b1', requests: 0 }),
      campaignRow(app, t, seed, { campaign_id: '', line_item_id: '', creative_id: '', slot_id: 'slot_a1', requests: 20 * seed, impressions: 0, clicks: 0, interactions: 0 }),
      campaignRow(app, t, seed, { campaign_id: '', line_item_id: '', creative_id: '', slot_id: '', country: '', requests: 3, impressions: 0, clicks: 0, interactions: 0 }),
    ],
    custom: [
      customRow(app, day, 'level_up', '', '', 4 * seed),
      customRow(app, day, 'level_up', 'level', '10', 3 * seed),
      customRow(app, day, 'level_up', 'level', '9', seed),
      customRow(app, day, 'purchase', '', '', 2 * seed),
      customRow(app, day, 'purchase', 'sku', 'gem_pack', 2 * seed),
    ],
    touches: [],
  };
}

export interface UiFixture {
  url: string;
  store: ReportStore;
  ui: UiTier;
  world: Awaited<ReturnType<typeof seedTenants>>;
  login(email: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startUiFixture(over: { store?: ReportStore; trackingUrl?: string; liveToken?: string; metricsUrls?: string; requestTimeoutMs?: number; maxInflightMb?: number } = {}): Promise<UiFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ui-'));
  const store = over.store ?? new SqliteStore({ path: join(dir, 'sluice.db') });
  await store.migrate();
  const world = await seedTenants(store);
  const ui = await startUi(
    { host: '127.0.0.1', port: 0, trackingUrl: over.trackingUrl ?? '', liveToken: over.liveToken ?? '', metricsUrls: over.metricsUrls ?? '', adminEmail: '', adminPassword: '', sessionHours: 1, secureCookies: false, loginRatePerMinute: 1000, requestTimeoutMs: over.requestTimeoutMs ?? 10_000, maxInflightMb: over.maxInflightMb ?? 16 },
    store, createLogger('ui', 'silent'),
  );
  const login = async (email: string, password = PASSWORD): Promise<string> => {
    const res = await fetch(`${ui.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    if (res.status !== 200) throw new Error(`login of ${email}: HTTP ${res.status} ${await res.text()}`);
    return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  };
  return {
    url: ui.url, store, ui, world, login,
    async close() {
      await ui.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
