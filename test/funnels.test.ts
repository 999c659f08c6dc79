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
 * Funnels over custom events and campaign reach against the fleet's ground truth (truth.json):
 * a fleet goes through tracking, pipeline and jobs; every seeded demo funnel's steps, summed
 * and per UTC day, equal what the devices did; every campaign's reach is within 2% of the exact
 * distinct devices (a HyperLogLog estimate) and its impressions are exact. A funnel defined
 * after the load counts nothing until a restate of its days, then counts what the truth says.
 */

describe('funnels and campaign reach against the fleet ground truth', () => {
  let fx: Awaited<ReturnType<typeof fleetLake>>;
  let store: SqliteStore;
  let ui: UiTier;
  let cookie = '';
  let truth: GroundTruth;
  let from = '';
  let to = '';
  const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(ui.url + url, { method, headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
  };
  const get = async (url: string): Promise<Json> => {
    const r = await call('GET', url);
    assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.json)}`);
    return r.json;
  };

  before(async () => {
    fx = await fleetLake(40, 31, 0.4);
    truth = fx.truth;
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    store = new SqliteStore({ path: fx.dbPath });
    await store.migrate();
    const run = await runJobs(fx.lakeDir, store, { stateDir: join(fx.dir, 'state'), threads: 0 });
    assert.equal(run.status, 'succeeded', run.error ?? '');
    const days = truth.app_days.map((r) => r.day).sort();
    from = utcDay(parseUtcDay(days[0]!) - DAY_MS);
    to = utcDay(parseUtcDay(days[days.length - 1]!) + DAY_MS);
    ({ ui, cookie } = await adminUi(store, 'admin@funnels.example'));
  });
  after(async () => {
    await ui?.close();
    await store?.close();
    if (fx) rmSync(fx.dir, { recursive: true, force: true });
  });

  test("every seeded funnel's steps, over the range and per UTC day, equal the truth", async () => {
    const apps = (await store.listApps()).map((a) => a.id);
    const seeded = truth.funnels.filter((f) => apps.includes(f.app_id));
    assert.ok(seeded.length >= 3, 'one demo funnel per seeded app');
    let deepest = 0;
    for (const t of seeded) {
      const list = await get(`/api/apps/${t.app_id}/funnels`);
      assert.deepEqual(list.funnels.map((f: Json) => [f.id, f.name, f.steps]), [[t.funnel_id, t.name, t.steps]]);
      const r = await get(`/api/apps/${t.app_id}/funnels/${t.funnel_id}?from=${from}&to=${to}`);
      const want = t.steps.map((_, k) => t.days.reduce((n, d) => n + d.devices[k]!, 0));
      assert.deepEqual(r.steps.map((s: Json) => s.devices), want, `${t.funnel_id} steps`);
      assert.deepEqual(r.steps.map((s: Json) => s.name), t.steps);
      for (let k = 1; k < want.length; k++) {
        assert.equal(r.steps[k].from_previous_pct, want[k - 1]! > 0 ? Math.round((want[k]! / want[k - 1]!) * 10_000) / 100 : null);
        assert.equal(r.steps[k].from_first_pct, want[0]! > 0 ? Math.round((want[k]! / want[0]!) * 10_000) / 100 : null);
      }
      const perDay = new Map(t.days.map((d) => [d.day, d.devices]));
      for (const d of r.days as Json[]) {
        const w = perDay.get(d.day) ?? t.steps.map(() => 0);
        assert.deepEqual(t.steps.map((_, k) => d[`step${k + 1}`]), w, `${t.funnel_id} ${d.day}`);
      }
      deepest = Math.max(deepest, want[want.length - 1]!);
    }
    assert.ok(deepest > 0, 'some device went through a whole funnel');
  });

  test("every campaign's reach is within 2% of the exact devices, per day too, and its impressions are exact", async () => {
    const campaigns = (await store.listCampaigns()).map((c) => c.id);
    let checked = 0;
    for (const id of campaigns) {
      const t = truth.campaign_reach.find((c) => c.campaign_id === id);
      const r = await get(`/api/campaigns/${id}/reach?from=${from}&to=${to}`);
      if (!t) {
        assert.equal(r.impressions, 0);
        continue;
      }
      checked++;
      assert.equal(r.impressions, t.impressions, `${id} impressions`);
      assert.ok(Math.abs(r.reach - t.devices) <= 0.02 * t.devices, `${id} reach ${r.reach} vs ${t.devices}`);
      assert.equal(r.avg_frequency, Math.round((r.impressions / r.reach) * 100) / 100);
      const perDay = new Map(t.days.map((d) => [d.day, d]));
      for (const d of r.by_day as Json[]) {
        const w = perDay.get(d.day) ?? { devices: 0, impressions: 0 };
        assert.equal(d.impressions, w.impressions, `${id} ${d.day} impressions`);
        assert.ok(Math.abs(d.reach - w.devices) <= 0.02 * w.devices, `${id} ${d.day} reach ${d.reach} vs ${w.devices}`);
      }
    }
    assert.ok(checked >= 2, 'campaigns with impressions were checked');
  });

  test('a funnel defined after the load counts nothing until its days are restated, then equals the truth', async () => {
    const t = truth.funnels.find((f) => f.app_id !== fx.world.apps[0]!.app_id && f.days.length > 0)!;
    const made = await call('POST', `/api/apps/${t.app_id}/funnels`, { name: 'Same steps, later', steps: t.steps });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const url = `/api/apps/${t.app_id}/funnels/${made.json.id}?from=${from}&to=${to}`;
    assert.deepEqual((await get(url)).steps.map((s: Json) => s.devices), t.steps.map(() => 0));
    const run = await runJobs(fx.lakeDir, store, { stateDir: join(fx.dir, 'state'), threads: 2 }, 'restate', { from, to });
    assert.equal(run.status, 'succeeded', run.error ?? '');
    const want = t.steps.map((_, k) => t.days.reduce((n, d) => n + d.devices[k]!, 0));
    assert.deepEqual((await get(url)).steps.map((s: Json) => s.devices), want);
    // Deleting it takes its numbers; a second delete is not found.
    assert.equal((await call('DELETE', `/api/apps/${t.app_id}/funnels/${made.json.id}`)).status, 204);
    assert.equal((await call('GET', url)).json.code, 'UI_ERR_NOT_FOUND');
    assert.equal((await call('DELETE', `/api/apps/${t.app_id}/funnels/${made.json.id}`)).status, 404);
  });

  test('a funnel with too few or too many steps, or no name, is refused with UI_ERR_FUNNEL_INVALID', async () => {
    const app = truth.funnels.find((f) => f.app_id !== fx.world.apps[0]!.app_id)!.app_id;
    for (const body of [{ name: 'one step', steps: ['purchase'] }, { name: 'seven', steps: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }, { name: ' ', steps: ['a', 'b'] }, { name: 'empty step', steps: ['a', ''] }]) {
      const r = await call('POST', `/api/apps/${app}/funnels`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.code, 'UI_ERR_FUNNEL_INVALID');
    }
    assert.equal((await get(`/api/apps/${app}/funnels`)).funnels.length, 1);
  });
});
