import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawRequest } from './helpers/disguise.js';
import { slowClient } from './helpers/slow-client.js';
import { startUiFixture, type UiFixture } from './helpers/ui.js';

/**
 * The reporting API's findings from the adversarial review, over real HTTP: the admin API behind
 * an encoded path, malformed ranges answering 500, and API keys that could not be revoked and
 * never expired. The walk of every route under disguised paths is in ui-authorization.test.ts.
 */
describe('security of the reporting API', () => {
  let fx: UiFixture;
  let pubA = '';
  before(async () => {
    fx = await startUiFixture();
    pubA = await fx.login(fx.world.users.pubA.email);
  });
  after(() => fx.close());

  const json = async (r: Response) => (await r.json()) as { code?: string; message?: string } & Record<string, unknown>;

  test('nobody reads or creates users through a percent-encoded admin path without logging in', async () => {
    const list = await rawRequest(fx.url, 'GET', '/%61pi/admin/users');
    assert.equal(list.status, 401, list.body);
    assert.ok(!list.body.includes('admin@test.example'), 'no user leaks');
    const before = (await fx.store.listUsers()).length;
    const made = await rawRequest(fx.url, 'POST', '/%61pi/admin/users', {}, JSON.stringify({ email: 'intruder@test.example', password: 'intruder-pass', role: 'admin' }));
    assert.equal(made.status, 401, made.body);
    assert.equal((await fx.store.listUsers()).length, before);
    assert.equal(await fx.store.userByEmail('intruder@test.example'), undefined);
  });

  test("a publisher cannot change another tenant's app through an encoded admin path", async () => {
    const r = await rawRequest(fx.url, 'PATCH', '/api/%61dmin/apps/app_b1', { cookie: pubA }, JSON.stringify({ name: 'taken over' }));
    assert.equal(r.status, 403, r.body);
    assert.equal((JSON.parse(r.body) as { code: string }).code, 'UI_ERR_FORBIDDEN');
    assert.equal((await fx.store.getApp('app_b1'))?.name, 'App app_b1');
  });

  test('a malformed or impossible date answers 400 with the field, never 500', async () => {
    for (const q of ["to='", 'to=2026-02-30', 'from=2026-13-01&to=2026-12-01', 'to=1969-12-31', "from='&to='", 'to=2026-1-1']) {
      const r = await fetch(`${fx.url}/api/apps/all/overview?${q}`, { headers: { cookie: pubA } });
      const b = await json(r);
      assert.equal(r.status, 400, `${q}: ${JSON.stringify(b)}`);
      assert.equal(b.code, 'UI_ERR_BAD_REQUEST');
      assert.match(b.message ?? '', /^(from|to): expected a day YYYY-MM-DD/);
    }
  });

  test('an API key can be listed and revoked, and a revoked key is refused at once', async () => {
    const made = (await json(await fetch(`${fx.url}/api/me/api-keys`, { method: 'POST', headers: { cookie: pubA } }))) as unknown as { key: string; id: string; expires_at: number | null };
    assert.equal(made.expires_at, null);
    const as = (key: string) => fetch(`${fx.url}/api/apps/app_a1/overview`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await as(made.key)).status, 200);
    const listed = (await json(await fetch(`${fx.url}/api/me/api-keys`, { headers: { cookie: pubA } }))).api_keys as { id: string }[];
    assert.ok(listed.some((k) => k.id === made.id));
    assert.ok(!JSON.stringify(listed).includes(made.key), 'the list never shows the secret');
    // Another user cannot revoke it: not found, and the key still works.
    const pubB = await fx.login(fx.world.users.pubB.email);
    assert.equal((await fetch(`${fx.url}/api/me/api-keys/${made.id}`, { method: 'DELETE', headers: { cookie: pubB } })).status, 404);
    assert.equal((await as(made.key)).status, 200);
    assert.equal((await fetch(`${fx.url}/api/me/api-keys/${made.id}`, { method: 'DELETE', headers: { cookie: pubA } })).status, 204);
    const refused = await as(made.key);
    assert.equal(refused.status, 401);
    assert.equal((await json(refused)).code, 'UI_ERR_UNAUTHENTICATED');
  });

  test('an API key with an expiry is refused once it has passed, and a bad expiry is a 400', async () => {
    const post = (body: unknown) => fetch(`${fx.url}/api/me/api-keys`, { method: 'POST', headers: { cookie: pubA, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const week = (await json(await post({ expires_in_days: 7 }))) as unknown as { key: string; expires_at: number };
    assert.ok(Math.abs(week.expires_at - (Date.now() + 7 * 86_400_000)) < 60_000);
    for (const bad of [0, -1, 1.5, 'seven', 3651]) {
      const r = await post({ expires_in_days: bad });
      assert.equal(r.status, 400, String(bad));
      assert.equal((await json(r)).code, 'UI_ERR_BAD_REQUEST');
    }
    // A key whose expiry has passed (made through the store: the API only makes future expiries).
    const user = await fx.store.userByEmail(fx.world.users.pubA.email);
    const old = await fx.store.createApiKey(user!.id, Date.now() - 1);
    const r = await fetch(`${fx.url}/api/apps`, { headers: { authorization: `Bearer ${old.key}` } });
    assert.equal(r.status, 401);
    assert.equal((await fetch(`${fx.url}/api/apps`, { headers: { authorization: `Bearer ${week.key}` } })).status, 200);
  });
});

describe('slow clients of the reporting API', () => {
  let fx: UiFixture;
  before(async () => {
    fx = await startUiFixture({ requestTimeoutMs: 1000, maxInflightMb: 1 });
  });
  after(() => fx.close());

  test('a body sent a byte at a time is cut off within the request timeout, and others are still served', async () => {
    const head = 'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n';
    const slow = Array.from({ length: 20 }, () => slowClient(fx.url, head, '{"email":"a@b.c","password":"' + 'x'.repeat(150), 200, 8000));
    const ok = await fetch(`${fx.url}/healthz`);
    assert.equal(ok.status, 200, 'served while slow clients hang on');
    for (const r of await Promise.all(slow)) {
      assert.ok(r.closedByServer, `still open after ${Math.round(r.ms)} ms`);
      assert.ok(r.ms < 1000 + 2500, `closed after ${Math.round(r.ms)} ms`);
    }
  });

  test('headers sent a byte at a time are cut off within the request timeout', async () => {
    const r = await slowClient(fx.url, 'GET /api/me HTTP/1.1\r\n', 'X-Slow: ' + 'y'.repeat(100), 200, 8000);
    assert.ok(r.closedByServer, `still open after ${Math.round(r.ms)} ms`);
    assert.ok(r.ms < 1000 + 2500, `closed after ${Math.round(r.ms)} ms`);
  });

  test('past the cap on body bytes in flight a new upload gets 503 before its body is read, and is served once they are gone', async () => {
    const head = 'POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n';
    const slow = [0, 1].map(() => slowClient(fx.url, head, '{"email":', 100, 8000));
    const metric = async () => Number(/sluice_ui_inflight_bytes (\d+)/.exec(await (await fetch(`${fx.url}/metrics`)).text())?.[1]);
    // Both uploads have reserved their bytes once the metric says so (polled, at most 3 s).
    for (const t0 = Date.now(); Date.now() - t0 < 3000 && (await metric()) < 1_000_000; ) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await metric(), 1_000_000);
    const login = () => fetch(`${fx.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@test.example', password: 'wrong-password', pad: 'x'.repeat(100_000) }) });
    const busy = await login();
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get('retry-after'), '1');
    assert.equal(((await busy.json()) as { code: string }).code, 'UI_ERR_BUSY');
    assert.equal((await fetch(`${fx.url}/api/me`)).status, 401, 'requests without a body still get through');
    await Promise.all(slow);
    assert.equal(await metric(), 0, 'the cut-off uploads gave their bytes back');
    assert.equal((await login()).status, 401);
    assert.match(await (await fetch(`${fx.url}/metrics`)).text(), /sluice_ui_inflight_refused_total 1\n/);
  });
});
