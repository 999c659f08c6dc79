import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configFrom } from '../common/config.js';
import { ERRORS, type ErrorCode } from '../common/error-codes.js';
import { createLogger } from '../common/logger.js';
import { adserverSpec } from '../adserver/options.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { tmp } from './helpers/fleet.js';
import { startTestTracking } from './helpers/tracking.js';
import { startUiFixture, type UiFixture } from './helpers/ui.js';

const SHAPE = new Set(['statusCode', 'code', 'message', 'details']);

/** One answer: its status is the registry's for its code, and its body has the one shape. */
async function expectError(res: Response, status: number, code: ErrorCode): Promise<void> {
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.code, code);
  assert.equal(body.statusCode, status);
  assert.equal(ERRORS[code].status, status, `the registry binds ${code} to ${status}`);
  assert.equal(typeof body.message, 'string');
  for (const k of Object.keys(body)) assert.ok(SHAPE.has(k), `unexpected field ${k} in ${JSON.stringify(body)}`);
}

describe('every HTTP tier answers errors with one body shape and the registry status', () => {
  let tracking: Awaited<ReturnType<typeof startTestTracking>>;
  let ads: RunningAdServer;
  let ui: UiFixture;
  let store: SqliteStore;

  before(async () => {
    tracking = await startTestTracking();
    store = new SqliteStore({ path: join(tmp('error-bodies'), 'sluice.db') });
    await store.migrate();
    ads = await startAdServer(configFrom(adserverSpec, { port: 0, logLevel: 'silent', store: 'sqlite' }), store, createLogger('ads', 'silent'));
    ui = await startUiFixture();
  });
  after(async () => {
    await ui.close();
    await ads.close();
    await store.close();
    await tracking.close();
  });

  test('tracking: an unknown route, bad JSON and an unsupported encoding', async () => {
    await expectError(await fetch(`${tracking.url}/v1/nope`), 404, 'TRK_ERR_NOT_FOUND');
    const post = (body: string, headers: Record<string, string> = {}) => fetch(`${tracking.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await expectError(await post('{"device":'), 400, 'TRK_ERR_BAD_JSON');
    await expectError(await post('x', { 'content-encoding': 'br' }), 415, 'TRK_ERR_UNSUPPORTED_ENCODING');
  });

  test('the ad server: an unknown route, a bad parameter, and a query too long answered 414, not 400', async () => {
    await expectError(await fetch(`${ads.url}/v1/nope`), 404, 'ADS_ERR_NOT_FOUND');
    await expectError(await fetch(`${ads.url}/v1/ad?app=a&slot=s&device=d&platform=plan9`), 400, 'ADS_ERR_BAD_REQUEST');
    await expectError(await fetch(`${ads.url}/v1/ad?app=a&slot=s&device=d&x=${'y'.repeat(4100)}`), 414, 'ADS_ERR_QUERY_TOO_LONG');
  });

  test('the reporting UI: an unknown API route, no log-in, and a bad query', async () => {
    await expectError(await fetch(`${ui.url}/api/nope`), 404, 'UI_ERR_NOT_FOUND');
    await expectError(await fetch(`${ui.url}/api/apps`), 401, 'UI_ERR_UNAUTHENTICATED');
    const cookie = await ui.login(ui.world.users.pubA.email);
    await expectError(await fetch(`${ui.url}/api/apps/all/overview?to=2026-13-01`, { headers: { cookie } }), 400, 'UI_ERR_BAD_REQUEST');
  });
});
