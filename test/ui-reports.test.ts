import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { Hll } from '../common/hll.js';
import { Monitor, parsePrometheus } from '../reporting-ui/monitor.js';
import { localMidnight, parseRange } from '../reporting-ui/time-range.js';
import { startUiFixture, type UiFixture } from './helpers/ui.js';
import { post, startTestTracking } from './helpers/tracking.js';
import type { Json } from './helpers/json.js';


describe('the reports of the reporting API', () => {
  let fx: UiFixture;
  let pubA = '';
  let admin = '';
  const get = async (cookie: string, url: string): Promise<Json> => {
    const res = await fetch(fx.url + url, { headers: { cookie } });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, `${url}: ${JSON.stringify(body)}`);
    return body;
  };
  before(async () => {
    fx = await startUiFixture();
    pubA = await fx.login(fx.world.users.pubA.email);
    admin = await fx.login(fx.world.users.admin.email);
  });
  after(() => fx.close());

  test('the overview of an app equals the sums of its facts in the store, and DAU is its exact daily devices', async () => {
    const [from, , to] = fx.world.days as [string, string, string];
    const o = await get(pubA, `/api/apps/app_a1/overview?from=${from}&to=${to}&tz=UTC&bucket=day`);
    const hourly = await fx.store.appHourly('app_a1', Date.parse(`${from}T00:00:00Z`), Date.parse(`${to}T23:00:00Z`));
    const sum = (k: 'events' | 'sessions' | 'session_ms' | 'ad_impression') => hourly.reduce((s, r) => s + r[k], 0);
    assert.equal(o.totals.events, sum('events'));
    assert.equal(o.totals.sessions, sum('sessions'));
    assert.equal(o.totals.session_ms, sum('session_ms'));
    assert.equal(o.totals.ad_impressions, sum('ad_impression'));
    assert.deepEqual(o.series.map((s: Json) => s.t), [from, fx.world.days[1], to]);
    const daily = await fx.store.appDaily('app_a1', from, to);
    for (const d of o.dau) assert.equal(d.devices, daily.filter((r) => r.day === d.day).reduce((s, r) => s + r.devices, 0), d.day);
    // WAU merges the daily sketches: within 1 % of the distinct devices (the seeds reuse device names across days).
    const h = new Hll();
    for (const r of daily) h.merge(Hll.fromBase64(r.devices_hll));
    assert.equal(o.totals.wau, Math.round(h.estimate()));
  });

  test("a range is the viewer's local days: hours bucket into the day they start in, in that time zone", async () => {
    const [, day, next] = fx.world.days as [string, string, string];
    // Facts at 00:00, 06:00 and 13:00 UTC each day; in Los Angeles (UTC-8 in winter) the local
    // day runs 08:00 to 08:00 UTC: its 13:00 hour and the next UTC day's 00:00 and 06:00.
    const o = await get(pubA, `/api/apps/app_a1/overview?from=${day}&to=${day}&tz=America/Los_Angeles&bucket=hour`);
    const r = parseRange({ from: day, to: day, tz: 'America/Los_Angeles' });
    assert.equal(r.fromHour, localMidnight(day, 'America/Los_Angeles'));
    assert.equal(r.fromHour, Date.parse(`${day}T08:00:00Z`));
    assert.equal(o.series.length, 24, 'every hour of the local day, quiet ones as zeros');
    assert.equal(o.series[0].t, `${day}T08:00:00.000Z`);
    assert.deepEqual(o.series.filter((s: Json) => s.events > 0).map((s: Json) => s.t), [`${day}T13:00:00.000Z`, `${next}T00:00:00.000Z`, `${next}T06:00:00.000Z`]);
    const daily = await get(pubA, `/api/apps/app_a1/overview?from=${day}&to=${day}&tz=America/Los_Angeles&bucket=day`);
    assert.deepEqual(daily.series.map((s: Json) => s.t), [day]);
    assert.equal(daily.totals.events, o.series.reduce((n: number, s: Json) => n + s.events, 0));
    const bad = await fetch(`${fx.url}/api/apps/app_a1/overview?tz=Mars/Olympus`, { headers: { cookie: pubA } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as Json).code, 'UI_ERR_BAD_REQUEST');
    const backwards = await fetch(`${fx.url}/api/apps/app_a1/overview?from=2026-02-02&to=2026-02-01`, { headers: { cookie: pubA } });
    assert.match(((await backwards.json()) as Json).message, /after/);
  });

  test('one day in New York shows the devices of that one day, and the DAU card a whole day', async () => {
    const day = fx.world.days[1]!;
    const o = await get(pubA, `/api/apps/app_a1/overview?from=${day}&to=${day}&tz=America/New_York`);
    assert.deepEqual(o.dau.map((d: Json) => d.day), [day], 'one point, not the two UTC days the local day touches');
    assert.ok(o.dau[0].devices > 0);
    assert.equal(o.totals.dau_day, day);
    assert.equal(o.totals.dau_partial, false);
  });

  test('the overview compares its totals with the period before, as many local days long', async () => {
    const [d0, d1, d2] = fx.world.days;
    const o = await get(pubA, `/api/apps/app_a1/overview?from=${d1}&to=${d2}&tz=Asia/Tokyo`);
    const day = (x: string, n: number) => new Date(Date.parse(`${x}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    assert.equal(o.previous.from, day(d1!, -2));
    assert.equal(o.previous.to, d0);
    const prev = await get(pubA, `/api/apps/app_a1/overview?from=${o.previous.from}&to=${o.previous.to}&tz=Asia/Tokyo`);
    assert.ok(prev.totals.events > 0);
    for (const k of ['events', 'sessions', 'session_ms', 'ad_impressions', 'ad_clicks', 'avg_session_s']) assert.equal(o.previous[k], prev.totals[k], k);
  });

  test('breakdowns and the custom events explorer add up to the totals', async () => {
    const q = `from=${fx.world.days[0]}&to=${fx.world.days[2]}`;
    const o = await get(pubA, `/api/apps/app_a1/overview?${q}`);
    for (const dim of ['platform', 'os_version', 'app_version', 'country', 'device_class']) {
      const b = await get(pubA, `/api/apps/app_a1/breakdown?${q}&dim=${dim}`);
      assert.equal(b.rows.reduce((s: number, r: Json) => s + r.events, 0), o.totals.events, dim);
    }
    // Countries by name beside their codes, in the breakdown and the ad tables.
    const countries = await get(pubA, `/api/apps/app_a1/breakdown?${q}&dim=country`);
    assert.deepEqual(countries.rows.map((r: Json) => [r.value, r.name]).sort(), [['FR', 'France'], ['US', 'United States']]);
    const adCountries = await get(pubA, `/api/apps/app_a1/ads?${q}&by=country`);
    assert.ok(adCountries.rows.some((r: Json) => r.country === 'US' && r.name === 'United States'), JSON.stringify(adCountries.rows));
    const names = await get(pubA, `/api/apps/app_a1/custom?${q}`);
    assert.deepEqual(names.rows.map((r: Json) => r.name), ['level_up', 'purchase']);
    const props = await get(pubA, `/api/apps/app_a1/custom?${q}&name=level_up`);
    assert.deepEqual(props.rows.map((r: Json) => r.prop), ['level']);
    const values = await get(pubA, `/api/apps/app_a1/custom?${q}&name=level_up&prop=level`);
    assert.deepEqual(values.rows.map((r: Json) => r.value), ['10', '9']);
    assert.ok(values.rows[0].count > values.rows[1].count);
  });

  test('ad tables name what they group, leave requests out per campaign, and show requests with fill rate per slot', async () => {
    const q = `from=${fx.world.days[0]}&to=${fx.world.days[2]}`;
    const byCampaign = await get(pubA, `/api/apps/all/ads?${q}&by=campaign_id`);
    assert.deepEqual(byCampaign.rows.map((r: Json) => [r.campaign_id, r.name]).sort(), [['cmp_x', 'X spring'], ['cmp_y', 'Y autumn']]);
    assert.ok(byCampaign.rows.every((r: Json) => !('requests' in r)), 'no requests column that can only read 0');
    const r = parseRange({ from: fx.world.days[0], to: fx.world.days[2] });
    const facts = (await Promise.all(['app_a1', 'app_a2'].map((a) => fx.store.campaignHourly({ app_id: a, fromHour: r.fromHour, toHour: r.toHour })))).flat();
    const bySlot = await get(pubA, `/api/apps/all/ads?${q}&by=slot_id`);
    const slotA1 = bySlot.rows.find((r: Json) => r.slot_id === 'slot_a1');
    const want = facts.filter((f) => f.slot_id === 'slot_a1');
    const reqs = want.reduce((n, f) => n + f.requests, 0);
    const imps = want.reduce((n, f) => n + f.impressions, 0);
    assert.ok(reqs > 0 && imps > 0);
    assert.equal(slotA1.requests, reqs);
    assert.equal(slotA1.fill_rate, Math.round((imps / reqs) * 1e4) / 100);
    assert.equal(slotA1.name, 'banner');
    assert.ok(bySlot.rows.some((r: Json) => r.slot_id === '(no slot)'), 'the row with no slot is labelled');
    assert.ok(!bySlot.rows.some((r: Json) => r.slot_id === ''));
    const campaign = await get(admin, `/api/campaigns/cmp_x/report?${q}&by=creative_id`);
    assert.ok(campaign.rows.length > 0 && campaign.rows.every((r: Json) => !('requests' in r) && r.creative_id === 'cr_x'));
  });

  test("a campaign's conversions sum the attribution of every app, by day, app and creative, with the model it was credited by", async () => {
    const [d0, d1] = fx.world.days;
    const row = (app_id: string, day: string, campaign_id: string, creative_id: string, conversions: number) => ({ app_id, day, campaign_id, creative_id, model: 'linear', conversions });
    await fx.store.replaceAttribution('app_a1', d0!, d1!, [row('app_a1', d0!, 'cmp_x', 'cr_x', 1.5), row('app_a1', d1!, 'cmp_x', 'cr_x', 0.25), row('app_a1', d1!, 'cmp_y', 'cr_y', 4)]);
    await fx.store.replaceAttribution('app_b1', d0!, d1!, [row('app_b1', d0!, 'cmp_x', 'cr_x', 2)]);
    const advX = await fx.login(fx.world.users.advX.email);
    const c = await get(advX, `/api/campaigns/cmp_x/conversions?from=${d0}&to=${d1}`);
    assert.equal(c.total, 3.75);
    assert.deepEqual(c.by_day, [{ day: d0, conversions: 3.5 }, { day: d1, conversions: 0.25 }]);
    assert.deepEqual(c.by_app.map((a: Json) => [a.app_id, a.conversions, a.model, a.lookback_days]), [['app_b1', 2, 'linear', 7], ['app_a1', 1.75, 'linear', 7]]);
    assert.deepEqual(c.by_creative, [{ creative_id: 'cr_x', name: 'cr_x', conversions: 3.75 }]);
    const advY = await fx.login(fx.world.users.advY.email);
    assert.equal((await fetch(`${fx.url}/api/campaigns/cmp_x/conversions`, { headers: { cookie: advY } })).status, 404);
  });

  test('every report downloads as CSV, one table at a time', async () => {
    const res = await fetch(`${fx.url}/api/apps/app_a1/breakdown?dim=country&format=csv`, { headers: { cookie: pubA } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="breakdown-country-rows.csv"/);
    const lines = (await res.text()).trim().split('\r\n');
    assert.equal(lines[0], 'value,name,events,sessions,session_ms,ad_impression,ad_click,custom,avg_session_s');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',')[0]).sort(), ['FR', 'US']);
    const health = await fetch(`${fx.url}/api/health?format=csv&table=completeness`, { headers: { cookie: pubA } });
    assert.match((await health.text()).split('\r\n')[0]!, /^app_id,day,events,seq_gaps,duplicates,completeness_pct$/);
    const none = await fetch(`${fx.url}/api/health?format=csv&table=nope`, { headers: { cookie: pubA } });
    assert.equal(none.status, 400);
  });

  test('the OpenAPI document at /docs describes every API route, and admin lists download as CSV too', async () => {
    const doc = (await (await fetch(`${fx.url}/docs/json`)).json()) as Json;
    assert.equal(doc.openapi.slice(0, 2), '3.');
    const paths = new Set(Object.keys(doc.paths));
    // The WebSocket route is not an HTTP operation; OpenAPI 3.0 does not describe it.
    for (const r of fx.ui.routes.filter((x) => x !== 'GET /api/live')) {
      const path = r.split(' ')[1]!.replace(/:(\w+)/g, '{$1}');
      assert.ok(paths.has(path), `${path} documented`);
    }
    assert.equal((await fetch(`${fx.url}/docs/`)).status, 200);
    const csv = await fetch(`${fx.url}/api/admin/advertisers?format=csv`, { headers: { cookie: admin } });
    assert.deepEqual((await csv.text()).trim().split('\r\n'), ['id,name', 'adv_x,Advertiser X', 'adv_y,Advertiser Y']);
  });

  test('the UI counts its requests and failed log-ins on /metrics', async () => {
    await fetch(`${fx.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@test.example', password: 'nope-nope' }) });
    const text = await (await fetch(`${fx.url}/metrics`)).text();
    assert.match(text, /^sluice_ui_requests_total \d+$/m);
    assert.ok(Number(/^sluice_ui_failed_logins_total (\d+)$/m.exec(text)![1]) >= 1);
  });

  test('a campaign shows delivery against its even pacing curve', async () => {
    const adv = await fx.login(fx.world.users.advX.email);
    const d = await get(adv, `/api/campaigns/cmp_x/delivery?from=${fx.world.days[0]}&to=${fx.world.days[2]}&tz=UTC`);
    assert.equal(d.line_items.length, 1);
    const rows = d.rows as Json[];
    assert.ok(rows.length >= 72);
    // Cumulative delivery never falls, the target rises linearly with the flight.
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.cumulative >= rows[i - 1]!.cumulative && rows[i]!.target >= rows[i - 1]!.target);
    const facts = await fx.store.campaignHourly({ campaign_id: 'cmp_x', fromHour: 0, toHour: Date.now() });
    assert.equal(d.line_items[0].delivered_to_date, facts.reduce((s, r) => s + r.impressions, 0));
  });

  test('wrong credentials are refused with one message, whichever part is wrong', async () => {
    for (const body of [{ email: fx.world.users.pubA.email, password: 'not-the-password' }, { email: 'nobody@test.example', password: 'password-123' }]) {
      const res = await fetch(`${fx.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 401);
      assert.deepEqual((await res.json()) as Json, { statusCode: 401, code: 'UI_ERR_BAD_LOGIN', message: 'wrong e-mail or password' });
    }
    const res = await fetch(`${fx.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: fx.world.users.pubA.email, password: 'password-123' }) });
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
  });

  test('an admin creates a line item; a bad targeting expression is refused with its position, and the preview lists the slots', async () => {
    const post = (url: string, body: unknown) => fetch(fx.url + url, { method: 'POST', headers: { cookie: admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const base = { campaign_id: 'cmp_x', name: 'iOS only', start_at: Date.now(), end_at: Date.now() + 86_400_000, status: 'active', goal_type: 'impressions', goal: 1000, delivery: 'even', country_split: null, cap_count: 0, cap_window_ms: 0, cpm_micros: 1, slot_ids: [] };
    const bad = await post('/api/admin/line-items', { ...base, targeting: 'platform == "ios" and contry == "US"' });
    assert.equal(bad.status, 400);
    const err = (await bad.json()) as Json;
    assert.equal(err.code, 'UI_ERR_BAD_REQUEST');
    assert.equal(err.details.field, 'targeting');
    assert.equal(err.details.position, 'platform == "ios" and '.length);
    assert.match(err.details.message, /country/, 'suggests the field meant');
    const ok = await post('/api/admin/line-items', { ...base, targeting: 'platform == "android"' });
    assert.equal(ok.status, 201);
    assert.equal(((await fx.store.getLineItem(((await ok.json()) as Json).id)) as Json).targeting, 'platform == "android"');
    const preview = (await (await post('/api/admin/targeting/check', { targeting: 'platform == "ios" and country == "US"', slot_ids: ['slot_a1'] })).json()) as Json;
    assert.equal(preview.ok, true);
    assert.deepEqual(preview.slots.map((s: Json) => [s.slot_id, s.match]), [['slot_a1', 'maybe'], ['slot_b1', 'no']]);
    const never = (await (await post('/api/admin/targeting/check', { targeting: 'platform == "windows"' })).json()) as Json;
    assert.ok(never.slots.every((s: Json) => s.match === 'no'));
  });
});

describe('monitoring rules over the ad server metrics', () => {
  const scrape = (count: number, under10ms: number, sum: number) =>
    `# TYPE sluice_adserver_decision_seconds histogram\nsluice_adserver_decision_seconds_bucket{le="0.005"} ${under10ms}\nsluice_adserver_decision_seconds_bucket{le="0.01"} ${under10ms}\nsluice_adserver_decision_seconds_bucket{le="+Inf"} ${count}\nsluice_adserver_decision_seconds_sum ${sum}\nsluice_adserver_decision_seconds_count ${count}\nsluice_adserver_not_served_total{line_item="li_1",reason="paced"} 7\n`;

  test('parses Prometheus text with labels', () => {
    const s = parsePrometheus(scrape(10, 9, 0.5));
    assert.deepEqual(s.find((x) => x.name === 'sluice_adserver_not_served_total'), { name: 'sluice_adserver_not_served_total', labels: { line_item: 'li_1', reason: 'paced' }, value: 7 });
  });

  test('more than two decisions over 10 ms within a second fire the slow rule, and it clears', () => {
    const m = new Monitor({});
    m.ingest('adserver', scrape(100, 100, 0.01), 1000);
    m.ingest('adserver', scrape(200, 198, 0.02), 2000);
    assert.equal(m.status().rules[0]!.state, 'ok', 'two slow decisions in a second are allowed');
    m.ingest('adserver', scrape(300, 295, 0.05), 3000);
    assert.equal(m.status().rules[0]!.state, 'firing');
    assert.equal(m.status().rules[0]!.value, 3);
    m.ingest('adserver', scrape(400, 395, 0.06), 4000);
    assert.equal(m.status().rules[0]!.state, 'ok');
    assert.deepEqual(m.status().history.map((h) => h.state), ['ok', 'firing', 'ok']);
  });

  test('an average latency four times its norm fires the latency rule', () => {
    const m = new Monitor({});
    let count = 0;
    let sum = 0;
    // Ten minutes at 0.1 ms, then ten seconds at 0.5 ms (5x the norm).
    for (let t = 0; t <= 600_000; t += 1000) m.ingest('adserver', scrape((count += 100), count, (sum += 100 * 0.0001)), t);
    assert.equal(m.status().rules[1]!.state, 'ok');
    for (let t = 601_000; t <= 611_000; t += 1000) m.ingest('adserver', scrape((count += 100), count, (sum += 100 * 0.0005)), t);
    const rule = m.status().rules[1]!;
    assert.equal(rule.state, 'firing');
    assert.ok(rule.value! > 4, String(rule.value));
  });
});

describe('the live view', () => {
  test('shows each user the events per second and latest events of only its own apps, fed by the tracking tier', async () => {
    const token = 'live-token-for-the-test';
    const t = await startTestTracking({ liveToken: token, appKeysFromStore: false });
    const fx = await startUiFixture({ trackingUrl: t.url, liveToken: token });
    try {
      // Without the token the feed does not exist.
      assert.equal((await fetch(`${t.url}/v1/live`)).status, 404);
      const watch = async (email: string) => {
        const ws = new WebSocket(`${fx.url.replace('http', 'ws')}/api/live`, { headers: { cookie: await fx.login(email) } });
        const seen: Json[] = [];
        ws.on('message', (m) => seen.push(JSON.parse(String(m)) as Json));
        await new Promise((r) => ws.once('open', r));
        return { ws, seen };
      };
      const a = await watch(fx.world.users.pubA.email);
      const b = await watch(fx.world.users.pubB.email);
      const ev = (app: string, i: number) => ({ event_id: `${app}-${i}`, app_id: app, seq: i, type: 'custom', name: 'level_up', ts: Date.now() - 1000 });
      for (const app of ['app_a1', 'app_b1']) {
        const r = await post(t.url, JSON.stringify({ device: { device_id: `dev-${app}`, platform: 'ios', os_version: '17.4', country: 'US' }, events: [ev(app, 1), ev(app, 2)] }));
        assert.equal(r.status, 200, JSON.stringify(r.json));
      }
      const until = async (w: { seen: Json[] }, pred: (m: Json) => boolean) => {
        while (!w.seen.some(pred)) await new Promise((r) => setTimeout(r, 50));
      };
      await until(a, (m) => m.kind === 'tick' && m.events.length > 0);
      await until(b, (m) => m.kind === 'tick' && m.events.length > 0);
      const apps = (w: { seen: Json[] }) => new Set(w.seen.flatMap((m) => (m.events ?? []).map((e: Json) => e.app_id)));
      assert.deepEqual([...apps(a)], ['app_a1']);
      assert.deepEqual([...apps(b)], ['app_b1']);
      assert.ok(a.seen.every((m) => m.kind !== 'tick' || m.per_app.every((p: Json) => p.app_id.startsWith('app_a'))));
      assert.ok(!JSON.stringify(a.seen).includes('dev-app'), 'no device id reaches the browser');
      a.ws.close();
      b.ws.close();
    } finally {
      await fx.close();
      await t.close();
    }
  });
});
