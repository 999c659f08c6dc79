import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { tmp } from './helpers/fleet.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

test('sluice demo starts every tier, prints the UI and its log-ins, and has numbers in the store when it says so', async () => {
  const dir = tmp('demo');
  const ports = ['--ui-port', '0', '--tracking-port', '0', '--adserver-port', '0', '--pipeline-port', '0', '--jobs-port', '0'];
  const child = spawn(process.execPath, [MAIN, 'demo', '--devices', '60', '--data-dir', dir, '--no-keep-running', ...ports], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0, out);
  assert.match(out, /reporting UI on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(out, /log in as admin@sluice\.demo, publisher@sluice\.demo, advertiser@sluice\.demo with password 'sluice-demo'/);
  assert.match(out, /jobs succeeded: \d+ events/);
  assert.match(out, /the numbers are in the UI now \(http:\/\/127\.0\.0\.1:\d+\), \d+ s after start/, 'the demo says how soon numbers were there');
  const db = new Database(join(dir, 'sluice.db'), { readonly: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    assert.ok(n('SELECT COUNT(*) AS n FROM agg_app_hour_total') > 0);
    assert.equal(n('SELECT COUNT(*) AS n FROM users'), 3);
    assert.equal(n("SELECT COUNT(*) AS n FROM job_runs WHERE workflow = 'events' AND status = 'succeeded'"), 1, 'one run of the workflow (its steps are recorded beside it)');
  } finally {
    db.close();
  }
});
