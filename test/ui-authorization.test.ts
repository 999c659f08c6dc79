import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { disguise, rawRequest } from './helpers/disguise.js';
import { startUiFixture, type UiFixture } from './helpers/ui.js';

/**
 * Walks every API route of the reporting UI as each role and as another tenant, over real
 * HTTP against a real store. The table must name every route the server has: a new route
 * without an expectation here fails the first test. Every route is walked again under disguised
 * spellings of its path (percent-encoding, case, slashes, dot segments): each answers as the
 * plain path does, or is not found; none ever answers more than the plain path would.
 */
type Who = 'anon' | 'admin' | 'pubA' | 'pubB' | 'advX' | 'advY';
const WHO: Who[] = ['anon', 'admin', 'pubA', 'pubB', 'advX', 'advY'];
interface Case {
  route: string;
  method: string;
  url: string;
  body?: unknown;
  /** Expected status per principal (anon is always 401 unless given). */
  want: Partial<Record<Who, number>>;
}

const appRead = { admin: 200, pubA: 200, pubB: 404, advX: 403, advY: 403 };
const campaignRead = { admin: 200, pubA: 403, pubB: 403, advX: 200, advY: 404 };
const adminOnly = (ok: number) => ({ admin: ok, pubA: 403, pubB: 403, advX: 403, advY: 403 });
const anyUser = { admin: 200, pubA: 200, pubB: 200, advX: 200, advY: 200 };

const CASES: Case[] = [
  { route: 'POST /api/login', method: 'POST', url: '/api/login', body: { email: 'nobody@test.example', password: 'wrong-password' }, want: { anon: 401, admin: 401, pubA: 401, pubB: 401, advX: 401, advY: 401 } },
  { route: 'GET /api/me', method: 'GET', url: '/api/me', want: anyUser },
  { route: 'POST /api/me/api-keys', method: 'POST', url: '/api/me/api-keys', body: {}, want: anyUser },
  { route: 'GET /api/me/api-keys', method: 'GET', url: '/api/me/api-keys', want: anyUser },
  // Another user's key id, or none at all, is not found for everyone.
  { route: 'DELETE /api/me/api-keys/:id', method: 'DELETE', url: '/api/me/api-keys/key_of_nobody', want: { admin: 404, pubA: 404, pubB: 404, advX: 404, advY: 404 } },
  { route: 'GET /api/apps', method: 'GET', url: '/api/apps', want: { admin: 200, pubA: 200, pubB: 200, advX: 403, advY: 403 } },
  { route: 'GET /api/apps/:app/overview', method: 'GET', url: '/api/apps/app_a1/overview', want: appRead },
  { route: 'GET /api/apps/:app/breakdown', method: 'GET', url: '/api/apps/app_a1/breakdown?dim=country', want: appRead },
  { route: 'GET /api/apps/:app/custom', method: 'GET', url: '/api/apps/app_a1/custom?name=level_up', want: appRead },
  { route: 'GET /api/apps/:app/audience', method: 'GET', url: '/api/apps/app_a1/audience', want: appRead },
  { route: 'GET /api/apps/:app/ads', method: 'GET', url: '/api/apps/app_a1/ads?by=creative_id', want: appRead },
  { route: 'GET /api/campaigns', method: 'GET', url: '/api/campaigns', want: { admin: 200, pubA: 403, pubB: 403, advX: 200, advY: 200 } },
  { route: 'GET /api/campaigns/:id/report', method: 'GET', url: '/api/campaigns/cmp_x/report?by=app_id', want: campaignRead },
  { route: 'GET /api/campaigns/:id/delivery', method: 'GET', url: '/api/campaigns/cmp_x/delivery', want: campaignRead },
  { route: 'GET /api/campaigns/:id/conversions', method: 'GET', url: '/api/campaigns/cmp_x/conversions', want: campaignRead },
  { route: 'GET /api/campaigns/:id/reach', method: 'GET', url: '/api/campaigns/cmp_x/reach', want: campaignRead },
  { route: 'GET /api/apps/:app/funnels', method: 'GET', url: '/api/apps/app_a1/funnels', want: appRead },
  { route: 'POST /api/apps/:app/funnels', method: 'POST', url: '/api/apps/app_a1/funnels', body: { name: 'Walked', steps: ['level_up', 'purchase'] }, want: { admin: 201, pubA: 201, pubB: 404, advX: 403, advY: 403 } },
  { route: 'GET /api/apps/:app/funnels/:id', method: 'GET', url: '/api/apps/app_a1/funnels/fnl_a1', want: appRead },
  { route: 'DELETE /api/apps/:app/funnels/:id', method: 'DELETE', url: '/api/apps/app_a1/funnels/__FUNNEL__', want: { admin: 204, pubA: 204, pubB: 404, advX: 403, advY: 403 } },
  { route: 'GET /api/campaigns/:id/money', method: 'GET', url: '/api/campaigns/cmp_x/money', want: campaignRead },
  { route: 'GET /api/apps/:app/revenue', method: 'GET', url: '/api/apps/app_a1/revenue?by=slot_id', want: appRead },
  { route: 'GET /api/campaigns/:id/why-not', method: 'GET', url: '/api/campaigns/cmp_x/why-not', want: campaignRead },
  { route: 'GET /api/health', method: 'GET', url: '/api/health?app=app_a1', want: appRead },
  { route: 'GET /api/health/scores', method: 'GET', url: '/api/health/scores?app=app_a1', want: appRead },
  { route: 'GET /api/health/restatements', method: 'GET', url: '/api/health/restatements?app=app_a1', want: appRead },
  { route: 'GET /api/health/quarantined', method: 'GET', url: '/api/health/quarantined?app=app_a1', want: appRead },
  { route: 'GET /api/health/job-runs', method: 'GET', url: '/api/health/job-runs', want: adminOnly(200) },
  { route: 'GET /api/inventory', method: 'GET', url: '/api/inventory?app=app_a1', want: appRead },
  { route: 'GET /api/monitoring', method: 'GET', url: '/api/monitoring', want: adminOnly(200) },
  { route: 'GET /api/admin/:entity', method: 'GET', url: '/api/admin/advertisers', want: adminOnly(200) },
  { route: 'GET /api/admin/:entity/:id', method: 'GET', url: '/api/admin/advertisers/adv_y', want: adminOnly(200) },
  { route: 'POST /api/admin/:entity', method: 'POST', url: '/api/admin/advertisers', body: { name: 'Made by a test' }, want: adminOnly(201) },
  { route: 'PATCH /api/admin/:entity/:id', method: 'PATCH', url: '/api/admin/advertisers/adv_y', body: { name: 'Advertiser Y' }, want: adminOnly(200) },
  { route: 'DELETE /api/admin/:entity/:id', method: 'DELETE', url: '/api/admin/publishers/__ID__', want: adminOnly(204) },
  { route: 'POST /api/admin/targeting/check', method: 'POST', url: '/api/admin/targeting/check', body: { targeting: 'platform == "ios"' }, want: adminOnly(200) },
  { route: 'POST /api/logout', method: 'POST', url: '/api/logout', body: {}, want: { ...anyUser, anon: 200 } },
];
const WS_ROUTE = 'GET /api/live';

describe('authorization of the reporting API', () => {
  let fx: UiFixture;
  const cookies: Partial<Record<Who, string>> = {};
  before(async () => {
    fx = await startUiFixture();
    const u = fx.world.users;
    const emails: Record<Exclude<Who, 'anon'>, string> = { admin: u.admin.email, pubA: u.pubA.email, pubB: u.pubB.email, advX: u.advX.email, advY: u.advY.email };
    for (const [who, email] of Object.entries(emails)) cookies[who as Who] = await fx.login(email);
    await fx.store.createFunnel({ id: 'fnl_a1', app_id: 'app_a1', name: 'Level to purchase', steps: ['level_up', 'purchase'] });
  });
  /** The url with a fresh publisher (__ID__) or funnel of app_a1 (__FUNNEL__) to delete. */
  const fresh = async (url: string): Promise<string> => {
    if (url.includes('__ID__')) return url.replace('__ID__', (await fx.store.createPublisher({ name: 'to delete' })).id);
    if (url.includes('__FUNNEL__')) return url.replace('__FUNNEL__', (await fx.store.createFunnel({ app_id: 'app_a1', name: 'to delete', steps: ['a', 'b'] })).id);
    return url;
  };
  after(() => fx.close());

  const call = async (c: Case, headers: Record<string, string>) => {
    const url = await fresh(c.url);
    const res = await fetch(fx.url + url, { method: c.method, headers: { ...headers, ...(c.body ? { 'content-type': 'application/json' } : {}) }, body: c.body ? JSON.stringify(c.body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as { code?: string }) : null };
  };

  test('the table names every API route the server has', () => {
    const covered = new Set([...CASES.map((c) => c.route), WS_ROUTE]);
    assert.deepEqual(fx.ui.routes.filter((r) => !covered.has(r)), [], 'routes without an authorization expectation');
    assert.deepEqual([...covered].filter((r) => !fx.ui.routes.includes(r)), [], 'expectations for routes that do not exist');
  });

  for (const who of WHO) {
    test(`every route under every disguised path answers ${who} as the plain path does, or not found`, async () => {
      for (const c of CASES) {
        const want = c.want[who] ?? 401;
        for (let i = 0; i < disguise(c.url).length; i++) {
          // A fresh publisher to delete for each spelling.
          const plain = await fresh(c.url);
          const v = disguise(plain)[i]!;
          const path = v.path;
          const r = await rawRequest(fx.url, c.method, path, cookies[who] ? { cookie: cookies[who]! } : {}, c.body ? JSON.stringify(c.body) : undefined);
          const code = r.type.includes('json') && r.body ? (JSON.parse(r.body) as { code?: string }).code : undefined;
          const what = `${who} ${c.method} ${path} (${v.kind}, plain ${want}): ${r.status} ${r.body.slice(0, 160)}`;
          // The router decodes percent-encoded letters, so these are the same route and must get the same answer.
          if (v.kind === 'percent' || v.kind === 'percent-all') assert.equal(r.status, want, what);
          else assert.ok(r.status === want || (r.status === 404 && code === 'UI_ERR_NOT_FOUND'), what);
          if (want >= 400) assert.ok(r.status >= 400, what);
          if (c.route === 'POST /api/logout' && who !== 'anon' && r.status === 200) cookies[who] = await fx.login(fx.world.users[who as Exclude<Who, 'anon'>].email);
        }
      }
      assert.ok(await fx.store.getAdvertiser('adv_y'), 'adv_y still exists');
      assert.equal((await fx.store.listUsers()).length, 5, 'no user was made through a disguised path');
    });

    test(`every route answers ${who} as its role and tenant allow`, async () => {
      for (const c of CASES) {
        const want = c.want[who] ?? 401;
        const r = await call(c, cookies[who] ? { cookie: cookies[who]! } : {});
        assert.equal(r.status, want, `${who} ${c.method} ${c.url}: ${JSON.stringify(r.body)}`);
        if (want === 401) assert.match(r.body?.code ?? '', /^UI_ERR_(UNAUTHENTICATED|BAD_LOGIN)$/);
        if (want === 403) assert.equal(r.body?.code, 'UI_ERR_FORBIDDEN');
        if (want === 404) assert.equal(r.body?.code, 'UI_ERR_NOT_FOUND');
        // Logging out ends the session: log in again for the next test.
        if (c.route === 'POST /api/logout' && who !== 'anon') cookies[who] = await fx.login(fx.world.users[who as Exclude<Who, 'anon'>].email);
      }
      assert.ok(await fx.store.getAdvertiser('adv_y'), 'adv_y still exists');
    });
  }

  test("a publisher sees only its own apps and numbers, an advertiser only its campaigns", async () => {
    const get = async (who: Who, url: string) => (await (await fetch(fx.url + url, { headers: { cookie: cookies[who]! } })).json()) as Record<string, unknown>;
    assert.deepEqual(((await get('pubA', '/api/apps')).apps as { id: string }[]).map((a) => a.id).sort(), ['app_a1', 'app_a2']);
    assert.deepEqual(((await get('pubB', '/api/apps')).apps as { id: string }[]).map((a) => a.id), ['app_b1']);
    // 'all' is the tenant's apps: the total equals the sum of its two apps, not of every app.
    const total = async (who: Who, app: string) => ((await get(who, `/api/apps/${app}/overview`)).totals as { events: number }).events;
    assert.equal(await total('pubA', 'all'), (await total('pubA', 'app_a1')) + (await total('pubA', 'app_a2')));
    assert.equal(await total('admin', 'all'), (await total('pubA', 'all')) + (await total('pubB', 'all')));
    // Ads on pub A's apps include advertiser Y's campaign; advertiser X sees only its own campaign, on every app.
    const pubAds = (await get('pubA', '/api/apps/all/ads?by=campaign_id')).rows as { campaign_id: string }[];
    assert.deepEqual(pubAds.map((r) => r.campaign_id).sort(), ['cmp_x', 'cmp_y']);
    assert.deepEqual(((await get('advX', '/api/campaigns')).campaigns as { id: string }[]).map((c) => c.id), ['cmp_x']);
    const byApp = (await get('advX', '/api/campaigns/cmp_x/report?by=app_id')).rows as { app_id: string; impressions: number }[];
    assert.deepEqual(byApp.map((r) => r.app_id).sort(), ['app_a1', 'app_a2', 'app_b1']);
    // Revenue: publisher A's only on its own apps, and no price, spend or budget of any campaign in it.
    const rev = await get('pubA', '/api/apps/all/revenue?by=app_id');
    assert.deepEqual((rev.rows as { app_id: string }[]).map((r) => r.app_id).sort(), ['app_a1', 'app_a2']);
    assert.doesNotMatch(JSON.stringify(rev), /price|spend|budget/);
    const money = await get('advX', '/api/campaigns/cmp_x/money');
    assert.deepEqual((money.line_items as { id: string }[]).map((l) => l.id), ['li_x']);
    const health = (await get('pubB', '/api/health')) as { completeness: { app_id: string }[]; job_runs: unknown[] };
    assert.ok(health.completeness.length > 0 && health.completeness.every((r) => r.app_id === 'app_b1'));
    assert.deepEqual(health.job_runs, [], 'job runs are for admins');
  });

  test("a funnel is reached only through its own app, and another tenant's funnel cannot be deleted", async () => {
    const as = (who: Who, method: string, url: string) => fetch(fx.url + url, { method, headers: { cookie: cookies[who]! } });
    assert.equal((await as('admin', 'GET', '/api/apps/app_b1/funnels/fnl_a1')).status, 404);
    assert.equal((await as('pubB', 'GET', '/api/apps/app_b1/funnels/fnl_a1')).status, 404);
    assert.equal((await as('pubB', 'DELETE', '/api/apps/app_b1/funnels/fnl_a1')).status, 404);
    assert.equal((await as('pubB', 'DELETE', '/api/apps/app_a1/funnels/fnl_a1')).status, 404);
    assert.ok(await fx.store.getFunnel('fnl_a1'), 'the funnel is still there');
    const listed = (await (await as('pubB', 'GET', '/api/apps/app_b1/funnels')).json()) as { funnels: unknown[] };
    assert.deepEqual(listed.funnels, []);
  });

  test('an API key acts as its user, and an unknown key is refused', async () => {
    const { key } = (await (await fetch(`${fx.url}/api/me/api-keys`, { method: 'POST', headers: { cookie: cookies.pubB! } })).json()) as { key: string };
    assert.match(key, /^sk_/);
    const as = (k: string, url: string) => fetch(fx.url + url, { headers: { authorization: `Bearer ${k}` } });
    assert.equal((await as(key, '/api/apps/app_b1/overview')).status, 200);
    assert.equal((await as(key, '/api/apps/app_a1/overview')).status, 404);
    const bad = await as('sk_not-a-key', '/api/apps');
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { code: string }).code, 'UI_ERR_UNAUTHENTICATED');
  });

  test('the live WebSocket refuses an anonymous client and greets a logged-in one', async () => {
    const open = (headers: Record<string, string>) =>
      new Promise<{ status?: number; hello?: { kind: string } }>((resolve) => {
        const ws = new WebSocket(`${fx.url.replace('http', 'ws')}/api/live`, { headers });
        ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
        ws.on('message', (m) => {
          resolve({ hello: JSON.parse(String(m)) as { kind: string } });
          ws.close();
        });
      });
    assert.equal((await open({})).status, 401);
    assert.equal((await open({ cookie: cookies.pubA! })).hello?.kind, 'hello');
  });
});
