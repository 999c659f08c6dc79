import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GroundTruth } from '../sdk-mock/ground-truth.js';
import { startTruthUi, type TruthUi } from './helpers/truth-ui.js';
import type { Json } from './helpers/json.js';

/**
 * The numbers the reporting API answers against the fleet's ground truth (truth.json), not
 * against the store they were read from: a fleet goes through tracking, pipeline and jobs, and
 * every app's totals, days, custom events and campaign days in the API must equal what the
 * devices did, in UTC and in zones west and east of it.
 */
const ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'];

describe('the reporting API against the fleet ground truth', () => {
  let fx: TruthUi;
  let store: TruthUi['store'];
  let cookie = '';
  let truth: GroundTruth;
  let apps: string[] = [];
  let from = '';
  let to = '';
  const get = async (url: string): Promise<Json> => {
    const res = await fetch(fx.ui.url + url, { headers: { cookie } });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    fx = await startTruthUi(120, 21);
    ({ truth, store, apps, from, to } = fx);
    cookie = await fx.login(fx.users.admin);
  });
  after(async () => {
    await fx?.close();
  });

  const truthOf = (app: string) => truth.app_days.filter((r) => r.app_id === app);
  const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0);

  for (const tz of ZONES) {
    test(`every app's overview totals equal the truth in ${tz}`, async () => {
      assert.ok(apps.length >= 3);
      for (const app of apps) {
        const t = truthOf(app);
        const o = await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=${encodeURIComponent(tz)}`);
        assert.equal(o.totals.events, sum(t, (r) => r.events_total), `${app} events`);
        assert.equal(o.totals.sessions, sum(t, (r) => r.sessions), `${app} sessions`);
        assert.equal(o.totals.session_ms, sum(t, (r) => r.session_ms), `${app} session time`);
        assert.equal(o.totals.ad_impressions, sum(t, (r) => r.events.ad_impression ?? 0), `${app} impressions`);
        assert.equal(o.totals.ad_clicks, sum(t, (r) => r.events.ad_click ?? 0), `${app} clicks`);
      }
      // 'all' is the sum over the apps the store knows.
      const all = await get(`/api/apps/all/overview?from=${from}&to=${to}&tz=${encodeURIComponent(tz)}`);
      assert.equal(all.totals.events, sum(truth.app_days.filter((r) => apps.includes(r.app_id)), (r) => r.events_total));
    });
  }

  test('each UTC day of an app, its events and its exact devices equal the truth', async () => {
    for (const app of apps) {
      const o = await get(`/api/apps/${app}/overview?from=${from}&to=${to}&tz=UTC&bucket=day`);
      const byDay = new Map<string, { events: number; devices: number }>();
      for (const r of truthOf(app)) {
        const d = byDay.get(r.day) ?? { events: 0, devices: 0 };
        d.events += r.events_total;
        d.devices += r.unique_devices; // a device has one platform: platforms add up
        byDay.set(r.day, d);
      }
      for (const s of o.series) assert.equal(s.events, byDay.get(s.t)?.events ?? 0, `${app} ${s.t} events`);
      for (const d of o.dau) assert.equal(d.devices, byDay.get(d.day)?.devices ?? 0, `${app} ${d.day} devices`);
    }
  });

  test('custom events per name, prop and value equal the truth (a name counts each event once)', async () => {
    for (const app of apps) {
      const t = truth.custom.filter((r) => r.app_id === app);
      const names = [...new Set(t.map((r) => r.name))];
      const got = await get(`/api/apps/${app}/custom?from=${from}&to=${to}`);
      for (const name of names) {
        const rows = t.filter((r) => r.name === name);
        const props = [...new Set(rows.map((r) => r.prop))].sort();
        // Every event of a name carries all its props, so its count is the sum over one prop's values.
        const count = sum(rows.filter((r) => r.prop === props[0]), (r) => r.count);
        for (const p of props) assert.equal(sum(rows.filter((r) => r.prop === p), (r) => r.count), count, `${app} ${name}: each prop sums to the events`);
        assert.equal(got.rows.find((r: Json) => r.name === name)?.count, count, `${app} ${name}`);
        const byProp = await get(`/api/apps/${app}/custom?from=${from}&to=${to}&name=${name}`);
        assert.deepEqual(byProp.rows.map((r: Json) => r.prop).sort(), props, `${app} ${name} props`);
        const values = await get(`/api/apps/${app}/custom?from=${from}&to=${to}&name=${name}&prop=${props[0]}`);
        assert.deepEqual(new Map(values.rows.map((r: Json) => [r.value, r.count])), new Map(rows.filter((r) => r.prop === props[0]).map((r) => [r.value, r.count])), `${app} ${name} values`);
      }
    }
  });

  test('each campaign day of the campaign report equals the truth', async () => {
    const campaigns = (await store.listCampaigns()).map((c) => c.id);
    assert.ok(campaigns.length > 0);
    for (const id of campaigns) {
      const r = await get(`/api/campaigns/${id}/report?from=${from}&to=${to}&tz=UTC&by=day`);
      const want = new Map(truth.campaign_days.filter((c) => c.campaign_id === id && (c.impressions > 0 || c.clicks > 0)).map((c) => [c.day, [c.impressions, c.clicks]]));
      const got = new Map((r.rows as Json[]).map((x) => [x.day as string, [x.impressions as number, x.clicks as number]]));
      assert.deepEqual(got, want, id);
    }
  });
});
