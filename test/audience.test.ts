import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DAY_MS, parseUtcDay, utcDay } from '../common/time.js';
import type { UiTier } from '../reporting-ui/run.js';
import type { GroundTruth } from '../sdk-mock/ground-truth.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { runJobs } from './helpers/jobs.js';
import { adminUi } from './helpers/truth-ui.js';
import { fleetLake, runPipelineOnce } from './helpers/pipeline.js';
import type { Json } from './helpers/json.js';

/**
 * Audience reports against the fleet's ground truth: retention cohorts by first-seen day (d1,
 * d7, d30), new vs returning devices per day and devices per app version per day, through
 * tracking, pipeline, jobs and the API. The same lake loaded in several batches, later days
 * first (so late files move devices' first-seen days earlier), gives the same rows.
 */
const TABLES = ['agg_audience_daily', 'agg_app_version_daily'];
const DAYS = 12;

function dump(dbPath: string): Record<string, string[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT * FROM ${t}`).all() as object[]).map((r) => JSON.stringify(r)).sort()]));
  } finally {
    db.close();
  }
}

describe('audience reports against the fleet ground truth', () => {
  let fx: Awaited<ReturnType<typeof fleetLake>>;
  let store: SqliteStore;
  let ui: UiTier;
  let cookie = '';
  let truth: GroundTruth;
  let apps: string[] = [];
  let first = '';
  let last = '';
  let batchDb = '';
  const get = async (url: string): Promise<Json> => {
    const res = await fetch(ui.url + url, { headers: { cookie } });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    fx = await fleetLake(60, 21, 0.4, { days: DAYS });
    truth = fx.truth;
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    batchDb = join(fx.dir, 'batches.db');
    copyFileSync(fx.dbPath, batchDb);
    store = new SqliteStore({ path: fx.dbPath });
    await store.migrate();
    const run = await runJobs(fx.lakeDir, store, { stateDir: join(fx.dir, 'state'), threads: 2 });
    assert.equal(run.status, 'succeeded', run.error ?? '');
    apps = (await store.listApps()).map((a) => a.id);
    const days = truth.audience_days.map((r) => r.day).sort();
    [first, last] = [days[0]!, days[days.length - 1]!];
    ({ ui, cookie } = await adminUi(store, 'admin@audience.example'));
  });
  after(async () => {
    await ui?.close();
    await store?.close();
    rmSync(fx.dir, { recursive: true, force: true });
  });

  test('cohorts by first-seen day (size, d1, d7, d30) and new vs returning per day equal the truth for every app', async () => {
    assert.ok(apps.length >= 3);
    let d7 = 0;
    for (const app of apps) {
      const t = truth.audience_days.filter((r) => r.app_id === app);
      const a = await get(`/api/apps/${app}/audience?from=${first}&to=${last}`);
      const lastDay = t.filter((r) => r.devices > 0).map((r) => r.day).sort().at(-1)!;
      assert.equal(a.last_day, lastDay, `${app} last day`);
      const want = t.filter((r) => r.new_devices > 0).map((r) => {
        const known = (k: number) => utcDay(parseUtcDay(r.day) + k * DAY_MS) <= lastDay;
        return { day: r.day, devices: r.new_devices, d1: known(1) ? r.d1 : null, d7: known(7) ? r.d7 : null, d30: known(30) ? r.d30 : null };
      });
      assert.deepEqual(a.cohorts.map((c: Json) => ({ day: c.day, devices: c.devices, d1: c.d1, d7: c.d7, d30: c.d30 })), want, `${app} cohorts`);
      d7 += want.reduce((n, c) => n + (c.d7 ?? 0), 0);
      const byDay = new Map(t.map((r) => [r.day, r]));
      assert.equal(a.days.length, t.length > 0 ? a.days.length : 0);
      for (const d of a.days) {
        const r = byDay.get(d.day);
        assert.deepEqual([d.active, d.new, d.returning], [r?.devices ?? 0, r?.new_devices ?? 0, r?.returning ?? 0], `${app} ${d.day}`);
      }
      // A day +k past the data is unknown (null), never 0%.
      const lastCohort = a.cohorts.at(-1);
      if (lastCohort && lastCohort.day === lastDay) assert.deepEqual([lastCohort.d1, lastCohort.d1_pct], [null, null]);
    }
    // The fleet's devices are active for days, not months: d30 is checked on hand-made devices (audience-cohorts.test.ts).
    assert.ok(d7 > 0, 'some devices come back 7 days later');
    assert.ok(truth.audience_days.some((r) => r.returning > 0 && r.new_devices > 0));
  });

  test('devices per app version per day and their share equal the truth', async () => {
    let versions = 0;
    for (const app of apps) {
      const want = truth.app_versions.filter((r) => r.app_id === app).map(({ day, app_version, devices }) => ({ day, app_version, devices }));
      const a = await get(`/api/apps/${app}/audience?from=${first}&to=${last}`);
      assert.deepEqual(a.versions.map(({ day, app_version, devices }: Json) => ({ day, app_version, devices })), want, `${app} versions`);
      const active = new Map<string, number>(a.days.map((d: Json) => [d.day, d.active]));
      for (const v of a.versions) assert.equal(v.share_pct, Math.round((v.devices / active.get(v.day)!) * 1000) / 10);
      versions = Math.max(versions, new Set(want.map((r) => r.app_version)).size);
    }
    assert.ok(versions >= 2, 'an app has devices on several versions');
  });

  test("'all' sums the apps, and a range in another zone names the same UTC days", async () => {
    const all = await get(`/api/apps/all/audience?from=${first}&to=${last}&tz=Asia/Tokyo`);
    const active = truth.audience_days.filter((r) => apps.includes(r.app_id) && r.day === first).reduce((n, r) => n + r.devices, 0);
    assert.equal(all.days[0].day, first);
    assert.equal(all.days[0].active, active);
  });

  test('the lake loaded in three batches, the last days first, leaves the audience tables row for row as one batch does', async () => {
    const once = dump(fx.dbPath);
    assert.ok(once.agg_audience_daily!.length > DAYS && once.agg_app_version_daily!.length > DAYS);
    const s = new SqliteStore({ path: batchDb });
    try {
      await s.migrate();
      const day = (k: number) => utcDay(parseUtcDay(first) + k * DAY_MS);
      // Late files: the later days load first, so devices' first-seen days move earlier in the later runs.
      for (const [from, to] of [[day(9), day(DAYS + 5)], [day(0), day(4)], [day(5), day(8)]] as const) {
        const r = await runJobs(fx.lakeDir, s, { stateDir: join(fx.dir, 'state-batches'), threads: 0, windowDays: 4 }, 'events', { from, to });
        assert.equal(r.status, 'succeeded', r.error ?? '');
      }
    } finally {
      await s.close();
    }
    const got = dump(batchDb);
    for (const t of TABLES) assert.deepEqual(got[t], once[t], t);
  });
});
