import assert from 'node:assert/strict';
import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DAY_MS, utcDay } from '../common/time.js';
import { MysqlStore } from '../store/mysql-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import { seedWorld } from '../cli/seed-world.js';
import { compareWithTruth, runJobs } from './helpers/jobs.js';
import { sharedMariaDb } from './helpers/mariadb.js';
import { duck, fleetLake, runPipelineOnce } from './helpers/pipeline.js';

/**
 * tracking -> pipeline -> jobs -> store against the fleet's ground truth. The fleet replays
 * 10 % of its uploads, has devices that come back after up to 100 days offline and devices
 * with skewed clocks; every count in the store must equal the truth exactly.
 */
describe('the batch jobs from a fleet to the report store', () => {
  let fx: Awaited<ReturnType<typeof fleetLake>>;
  let apps: string[];
  let from = '';
  let to = '';
  before(async () => {
    // More long-offline devices than the defaults, so some come back months late.
    fx = await fleetLake(160, 11, 0.3, { offlineRate: 0.08, skewRate: 0.1 });
    apps = fx.world.apps.map((a) => a.app_id);
    from = utcDay(fx.start - DAY_MS);
    to = utcDay(fx.start + 12 * DAY_MS);
    assert.ok(fx.truth.totals.duplicates_sent > 0 && fx.truth.totals.long_offline_devices > 0 && fx.truth.totals.skewed_devices > 0);
  });
  after(async () => {
    rmSync(fx.dir, { recursive: true, force: true });
    await (await sharedMariaDb()).stop();
  });

  test('in two batches on SQLite, every count equals the ground truth and the late batch restates the hours it changed', async () => {
    const lakeDir = join(fx.dir, 'lake-sqlite');
    cpSync(fx.lakeDir, lakeDir, { recursive: true });
    // First batch: the first half of the segments; the rest (replays, late devices) comes later.
    const later = fx.segments.slice(Math.ceil(fx.segments.length / 2));
    const aside = join(fx.dir, 'aside');
    for (const s of later) {
      mkdirSync(dirname(join(aside, s)), { recursive: true });
      renameSync(join(lakeDir, s), join(aside, s));
    }
    const store = new SqliteStore({ path: fx.dbPath });
    await store.migrate();
    try {
      const stateDir = join(fx.dir, 'state-sqlite');
      await runPipelineOnce(lakeDir, fx.dbPath);
      const first = await runJobs(lakeDir, store, { stateDir, threads: 2 });
      assert.equal(first.status, 'succeeded', first.error ?? '');
      assert.ok(first.stats.rows > 0 && first.stats.appDays > 0);
      for (const s of later) renameSync(join(aside, s), join(lakeDir, s));
      await runPipelineOnce(lakeDir, fx.dbPath);
      const second = await runJobs(lakeDir, store, { stateDir, threads: 2 });
      assert.equal(second.status, 'succeeded', second.error ?? '');
      assert.ok(second.stats.duplicates > 0, 'replays of events loaded by the first batch are dropped by the second');

      const cmp = await compareWithTruth(store, fx.truth, apps, from, to);
      assert.deepEqual(cmp.mismatches.slice(0, 10), []);
      assert.ok(cmp.appDays > 20);
      assert.ok(cmp.worstHll <= 0.01, `daily HyperLogLog within 1 % (worst ${cmp.worstHll})`);

      // Duplicates removed = rows in the lake minus distinct events.
      const [[rows, distinct] = []] = (await duck(lakeDir, (ev) => `select count(*), count(distinct dedupe_key) from ${ev}`)) as bigint[][];
      let removed = 0;
      for (const app of apps) for (const r of await store.appDaily(app, from, to)) removed += r.duplicates;
      assert.equal(removed, Number(rows) - Number(distinct));

      const restated = await store.restatements({});
      assert.ok(restated.length > 0, 'late data restated some hours');
      assert.ok(restated.every((r) => r.run_id === second.runId && r.old_value !== r.new_value));

      // Nothing new: a third run loads nothing and changes nothing.
      const third = await runJobs(lakeDir, store, { stateDir, threads: 0 });
      assert.equal(third.stats.files, 0);
      assert.equal(third.stats.appDays, 0);
      assert.deepEqual((await compareWithTruth(store, fx.truth, apps, from, to)).mismatches, []);

      // Delivery for pacing follows the campaign facts of known line items.
      const delivered = await store.deliveredByLineItem(0);
      assert.ok([...delivered.values()].some((d) => d.impressions > 0));

      const runs = await store.listJobRuns({ workflow: 'events' });
      assert.equal(runs.length, 3);
      assert.ok(runs.every((r) => r.status === 'succeeded' && r.finished_at !== null));
    } finally {
      await store.close();
    }
  });

  test('in one batch on MariaDB, every count equals the ground truth, and a restate of the range changes nothing', async () => {
    const lakeDir = join(fx.dir, 'lake-mysql');
    cpSync(fx.lakeDir, lakeDir, { recursive: true });
    await runPipelineOnce(lakeDir, fx.dbPath);
    const url = await (await sharedMariaDb()).createDatabase();
    const store: ReportStore = new MysqlStore({ url });
    await store.migrate();
    try {
      await seedWorld(store, { ...fx.world, apps: fx.world.apps.slice(1), campaigns: fx.world.campaigns.slice(1) }, fx.start - DAY_MS, fx.start + 200 * DAY_MS);
      const stateDir = join(fx.dir, 'state-mysql');
      const r = await runJobs(lakeDir, store, { stateDir, threads: 2 });
      assert.equal(r.status, 'succeeded', r.error ?? '');
      const cmp = await compareWithTruth(store, fx.truth, apps, from, to);
      assert.deepEqual(cmp.mismatches.slice(0, 10), []);
      assert.ok(cmp.worstHll <= 0.01);
      const restate = await runJobs(lakeDir, store, { stateDir, threads: 2 }, 'restate', { from, to });
      assert.equal(restate.status, 'succeeded', restate.error ?? '');
      assert.ok(restate.stats.appDays > 0);
      assert.equal(restate.stats.restatements, 0, 'reloading the same input restates nothing');
      assert.deepEqual((await compareWithTruth(store, fx.truth, apps, from, to)).mismatches, []);
    } finally {
      await store.close();
    }
  });
});
