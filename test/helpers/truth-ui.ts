/**
 * The reporting UI over a fleet that went through real tracking, pipeline and jobs, with the
 * fleet's ground truth beside it: for tests that check what people see against what the
 * devices did (not against the store the numbers were read from). One admin, the first
 * publisher with apps in the store, and the first advertiser get log-ins.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../common/logger.js';
import { DAY_MS, parseUtcDay, utcDay } from '../../common/time.js';
import { ensureUser, startUi, type UiTier } from '../../reporting-ui/run.js';
import type { GroundTruth } from '../../sdk-mock/ground-truth.js';
import type { World } from '../../sdk-mock/world.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { runJobs } from './jobs.js';
import { fleetLake, runPipelineOnce } from './pipeline.js';

export const TRUTH_PASSWORD = 'password-123';

export interface TruthUi {
  ui: UiTier;
  store: SqliteStore;
  truth: GroundTruth;
  world: World;
  /** App ids in the store (the fleet has one more, unknown to it). */
  apps: string[];
  /** A range of days covering every event, with a day to spare on each side (so every zone's local days hold all of it). */
  from: string;
  to: string;
  users: { admin: string; publisher: string; advertiser: string };
  publisherId: string;
  advertiserId: string;
  /** A cookie header of a logged-in user. */
  login(email: string): Promise<string>;
  close(): Promise<void>;
}

const UI_OPTS = { host: '127.0.0.1', port: 0, trackingUrl: '', liveToken: '', metricsUrls: '', adminEmail: '', adminPassword: '', sessionHours: 1, secureCookies: false, loginRatePerMinute: 1000 };

/** A reporting UI on loopback over `store`, with an admin `email` made and logged in: its cookie header. */
export async function adminUi(store: SqliteStore, email: string): Promise<{ ui: UiTier; cookie: string }> {
  await ensureUser(store, { email, password: TRUTH_PASSWORD, role: 'admin' });
  const ui = await startUi(UI_OPTS, store, createLogger('ui', 'silent'));
  const res = await fetch(`${ui.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: TRUTH_PASSWORD }) });
  assert.equal(res.status, 200);
  return { ui, cookie: res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

export async function startTruthUi(devices = 120, seed = 21): Promise<TruthUi> {
  const fx = await fleetLake(devices, seed, 0.4);
  await runPipelineOnce(fx.lakeDir, fx.dbPath);
  const store = new SqliteStore({ path: fx.dbPath });
  await store.migrate();
  const run = await runJobs(fx.lakeDir, store, { stateDir: join(fx.dir, 'state'), threads: 2 });
  assert.equal(run.status, 'succeeded', run.error ?? '');
  const apps = (await store.listApps()).map((a) => a.id);
  const days = fx.truth.app_days.map((r) => r.day).sort();
  const from = utcDay(parseUtcDay(days[0]!) - DAY_MS);
  const to = utcDay(parseUtcDay(days[days.length - 1]!) + DAY_MS);
  const publisherId = (await store.listApps()).map((a) => a.publisher_id)[0]!;
  const advertiserId = fx.world.advertisers[0]!.advertiser_id;
  const users = { admin: 'admin@truth.example', publisher: 'publisher@truth.example', advertiser: 'advertiser@truth.example' };
  await ensureUser(store, { email: users.admin, password: TRUTH_PASSWORD, role: 'admin' });
  await ensureUser(store, { email: users.publisher, password: TRUTH_PASSWORD, role: 'publisher', publisher_id: publisherId });
  await ensureUser(store, { email: users.advertiser, password: TRUTH_PASSWORD, role: 'advertiser', advertiser_id: advertiserId });
  const ui = await startUi(UI_OPTS, store, createLogger('ui', 'silent'));
  return {
    ui, store, truth: fx.truth, world: fx.world, apps, from, to, users, publisherId, advertiserId,
    async login(email) {
      const res = await fetch(`${ui.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: TRUTH_PASSWORD }) });
      assert.equal(res.status, 200);
      return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    },
    async close() {
      await ui.close();
      await store.close();
      rmSync(fx.dir, { recursive: true, force: true });
    },
  };
}
