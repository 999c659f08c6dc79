import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HOUR_MS } from '../common/time.js';
import { healthScore } from '../reporting-ui/health-score.js';
import { appDayFacts, startUiFixture, type UiFixture } from './helpers/ui.js';
import type { Json } from './helpers/json.js';

/**
 * The data health score route and the paged health lists over real HTTP and a real store:
 * worst first, the score from the documented formula over the store's figures, a publisher
 * only ever sees its own apps, pages carry their total and CSV exports every row.
 */

describe('data health scores and paged health lists', () => {
  let fx: UiFixture;
  const cookies: Record<string, string> = {};
  let bad = '';
  const get = async (who: string, url: string, status = 200): Promise<Json> => {
    const res = await fetch(fx.url + url, { headers: { cookie: cookies[who]! } });
    const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as Json) : { csv: await res.text() };
    assert.equal(res.status, status, `${who} ${url}: ${JSON.stringify(body).slice(0, 300)}`);
    return body;
  };

  before(async () => {
    fx = await startUiFixture();
    for (const who of ['admin', 'pubA', 'pubB', 'advX'] as const) cookies[who] = await fx.login(fx.world.users[who].email);
    const [d1, d2] = fx.world.days;
    bad = d1!;
    const now = Date.now();
    // app_a2's first day: rows quarantined (pipeline and jobs); app_b1's: also quarantined (another tenant), and rows with no app.
    await fx.store.recordQuarantine([
      { lake_key: 'quarantine/a.ndjson', source: 'pipeline', app_id: 'app_a2', day: d1!, reason: 'too_long', row_count: 40, detail: 'x', at: now - 3 },
      { lake_key: 'quarantine/b.ndjson', source: 'jobs', app_id: 'app_a2', day: d1!, reason: 'lone_surrogate', row_count: 2, detail: 'y', at: now - 2 },
      { lake_key: 'quarantine/c.ndjson', source: 'jobs', app_id: 'app_b1', day: d1!, reason: 'too_long', row_count: 1, detail: 'z', at: now - 1 },
      { lake_key: 'quarantine/d.ndjson', source: 'pipeline', app_id: '', day: '', reason: 'bad_app_id', row_count: 5, detail: 'w', at: now },
    ]);
    // app_a1's second day reloaded with other numbers: its hours are restated.
    await fx.store.replaceAppDay('app_a1', d2!, appDayFacts('app_a1', d2!, 40), 'reload', now);
  });
  after(() => fx.close());

  test('scores list every app and day, worst first, each the formula over its raw figures', async () => {
    const s = await get('admin', '/api/health/scores');
    assert.equal(s.total, 9, '3 apps x 3 days');
    assert.match(s.formula, /^score = 100 - 40\*min/);
    const scores = (s.rows as Json[]).map((r) => r.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => a - b), 'worst first');
    assert.deepEqual([s.rows[0].app_id, s.rows[0].day], ['app_a2', bad], 'the day with 42 quarantined rows is worst');
    const b1 = (s.rows as Json[]).find((r) => r.app_id === 'app_b1' && r.day === bad)!;
    assert.ok(b1.penalty_quarantined > 0 && b1.penalty_quarantined < 30, 'one quarantined row costs a little');
    for (const r of s.rows as Json[]) {
      assert.equal(r.score, healthScore(r as never).score, `${r.app_id} ${r.day}`);
      const daily = (await fx.store.appDaily(r.app_id, r.day, r.day)).reduce((a, d) => ((a.events += d.events), (a.duplicates += d.duplicates), (a.seq_gaps += d.seq_gaps), a), { events: 0, duplicates: 0, seq_gaps: 0 });
      assert.deepEqual({ events: r.events, duplicates: r.duplicates, seq_gaps: r.seq_gaps }, daily, `${r.app_id} ${r.day} figures`);
    }
    const a2 = (s.rows as Json[]).find((r) => r.app_id === 'app_a2' && r.day === bad)!;
    assert.equal(a2.quarantined_rows, 42);
    const restated = (s.rows as Json[]).find((r) => r.app_id === 'app_a1' && r.day === fx.world.days[1])!;
    assert.equal(restated.restated_hours, 3, 'hours 0, 6 and 13 changed');
    assert.ok(restated.penalty_restatements > 0);
    const page = await get('admin', '/api/health/scores?limit=2&offset=1');
    assert.deepEqual(page.rows, s.rows.slice(1, 3));
    assert.equal(page.total, 9);
  });

  test("a publisher's scores and lists hold only its apps; another tenant's app is not found", async () => {
    const s = await get('pubA', '/api/health/scores');
    assert.equal(s.total, 6);
    assert.ok((s.rows as Json[]).every((r) => r.app_id === 'app_a1' || r.app_id === 'app_a2'));
    assert.equal(s.rows[0].app_id, 'app_a2', 'its worst first');
    const q = await get('pubA', '/api/health/quarantined');
    assert.deepEqual((q.rows as Json[]).map((r) => r.lake_key), ['quarantine/b.ndjson', 'quarantine/a.ndjson']);
    assert.equal(q.total, 2);
    const rs = await get('pubB', '/api/health/restatements');
    assert.deepEqual(rs.rows, [], "app_a1's restatements are not pub B's");
    for (const url of ['/api/health/scores?app=app_b1', '/api/health/quarantined?app=app_b1', '/api/health/restatements?app=app_b1']) {
      assert.equal((await get('pubA', url, 404)).code, 'UI_ERR_NOT_FOUND');
    }
    assert.equal((await get('pubA', '/api/health/job-runs', 403)).code, 'UI_ERR_FORBIDDEN');
    assert.equal((await get('advX', '/api/health/scores', 403)).code, 'UI_ERR_FORBIDDEN');
  });

  test('paged lists answer their total and a bounded page; CSV exports every row', async () => {
    const all = await get('admin', '/api/health/quarantined');
    assert.equal(all.total, 4, 'admins also see rows with no app id');
    const p = await get('admin', '/api/health/quarantined?limit=1&offset=2');
    assert.deepEqual([p.total, p.limit, p.offset, p.rows.length], [4, 1, 2, 1]);
    assert.deepEqual(p.rows[0], all.rows[2]);
    const csv = await get('admin', '/api/health/quarantined?limit=1&format=csv');
    assert.equal(csv.csv.trim().split('\n').length, 1 + 4, 'header and every row');
    const rs = await get('admin', '/api/health/restatements?limit=2');
    assert.equal(rs.rows.length, 2);
    assert.ok(rs.total >= 3);
    const csvR = await get('admin', '/api/health/restatements?limit=1&format=csv');
    assert.equal(csvR.csv.trim().split('\n').length, 1 + rs.total);
    for (const bad of ['limit=0', 'limit=1001', 'offset=-1']) assert.equal((await get('admin', `/api/health/quarantined?${bad}`, 400)).code, 'UI_ERR_BAD_REQUEST', bad);
    await fx.store.finishJobRun(await fx.store.startJobRun('aggregate', 'p1', Date.now() - HOUR_MS), 'succeeded', Date.now(), 10, null);
    await fx.store.startJobRun('aggregate', 'p2', Date.now());
    const runs = await get('admin', '/api/health/job-runs?limit=1');
    assert.equal(runs.total, 2);
    assert.equal(runs.rows[0].partition_key, 'p2', 'newest first');
    assert.equal((await get('admin', '/api/health/job-runs?limit=1&offset=1')).rows[0].partition_key, 'p1');
  });

  test('admin lists and API keys page on request with their total; without limit or as CSV they are whole', async () => {
    const all = await get('admin', '/api/admin/users');
    assert.equal(all.users.length, 5);
    assert.equal(all.total, 5);
    const p = await get('admin', '/api/admin/users?limit=2&offset=1');
    assert.deepEqual([p.total, p.limit, p.offset], [5, 2, 1]);
    assert.deepEqual(p.users, all.users.slice(1, 3));
    const apps = await get('admin', '/api/admin/apps?publisher_id=pub_a&limit=1');
    assert.deepEqual([apps.total, apps.apps.length], [2, 1], 'the parent filter applies before paging');
    const res = await fetch(`${fx.url}/api/admin/users?limit=1&format=csv`, { headers: { cookie: cookies.admin! } });
    assert.equal((await res.text()).trim().split('\n').length, 1 + 5);
    for (const bad of ['limit=0', 'limit=1001', 'limit=x', 'limit=1&offset=-1']) assert.equal((await get('admin', `/api/admin/users?${bad}`, 400)).code, 'UI_ERR_BAD_REQUEST', bad);
    for (let i = 0; i < 3; i++) await fetch(`${fx.url}/api/me/api-keys`, { method: 'POST', headers: { cookie: cookies.pubA! } });
    const keys = await get('pubA', '/api/me/api-keys?limit=2');
    assert.deepEqual([keys.api_keys.length, keys.total], [2, 3]);
    assert.equal((await get('pubA', '/api/me/api-keys')).api_keys.length, 3);
    assert.equal((await get('pubB', '/api/me/api-keys')).total, 0, "another user's keys are not counted");
  });
});
