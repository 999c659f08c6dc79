import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { fleetLake, runPipelineOnce } from './helpers/pipeline.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const TABLES = ['agg_app_hourly', 'agg_app_daily', 'agg_campaign_hourly', 'agg_custom_daily', 'touches', 'agg_attribution_daily', 'delivery', 'restatements'];

/** Every row of the fact tables, sorted, as text. */
function dump(dbPath: string): Record<string, string[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT * FROM ${t}`).all() as object[]).map((r) => JSON.stringify(r)).sort()]));
  } finally {
    db.close();
  }
}

const jobs = (lakeDir: string, dbPath: string, stateDir: string, ...extra: string[]) => [
  MAIN, 'jobs', 'run', 'events', '--lake', 'local', '--lake-dir', lakeDir, '--store', 'sqlite', '--sqlite-path', dbPath, '--state-dir', stateDir,
  '--threads', '0', '--window-days', '1', '--port', '0', '--log-level', 'silent', '--no-progress', ...extra,
];

test('jobs killed in the middle of the load and run again leave exactly the tables of an uninterrupted run', async () => {
  const fx = await fleetLake(120, 9);
  try {
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    const crashDb = join(fx.dir, 'crash.db');
    copyFileSync(fx.dbPath, crashDb);

    // The reference: one uninterrupted run.
    const ok = spawnSync(process.execPath, jobs(fx.lakeDir, fx.dbPath, join(fx.dir, 'state-ref')), { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const want = dump(fx.dbPath);
    assert.ok(want.agg_app_hourly!.length > 100 && want.agg_app_daily!.length > 10 && want.touches!.length > 0);

    // The crash: SIGKILL once some app-days are loaded and others still pending.
    const stateDir = join(fx.dir, 'state-crash');
    const manifest = join(stateDir, 'manifest.json');
    const child = spawn(process.execPath, jobs(fx.lakeDir, crashDb, stateDir, '--lock-ttl-ms', '1000'), { stdio: 'ignore' });
    const exited = once(child, 'exit');
    let killedMidLoad = false;
    while (child.exitCode === null) {
      if (existsSync(manifest)) {
        try {
          const m = JSON.parse(readFileSync(manifest, 'utf8')) as { pending: Record<string, string[]>; derived: Record<string, string[]> };
          if (Object.keys(m.derived).length > 0 && Object.keys(m.pending).length > 0) {
            child.kill('SIGKILL');
            killedMidLoad = true;
            break;
          }
        } catch {
          // Caught between the write and the rename of a new manifest: look again.
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await exited;
    assert.ok(killedMidLoad, 'the run was killed while loading');
    const half = dump(crashDb);
    assert.ok(half.agg_app_daily!.length < want.agg_app_daily!.length, 'the killed run had loaded part of the days');

    // Run again (the killed run's lock expires after its 1 s TTL; until then a run is skipped).
    let out = '';
    for (;;) {
      const r = spawnSync(process.execPath, jobs(fx.lakeDir, crashDb, stateDir), { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      out = r.stdout;
      if (!out.includes('skipped')) break;
    }
    assert.match(out, /events succeeded/);
    assert.deepEqual(dump(crashDb), want);
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
});
