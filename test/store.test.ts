/**
 * The report store's conformance suite (store/conformance.ts) against both backends:
 * SqliteStore on temporary files and MysqlStore on a real, throwaway MariaDB server
 * (test/helpers/mariadb.ts installs and starts it; the MySQL tests fail, never skip, when it
 * cannot). Then what only MySQL has: losing the server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { storeConformance } from './store/conformance.js';
import { factConformance } from './store/fact-conformance.js';
import { audienceConformance } from './store/audience-conformance.js';
import { fleetConformance } from './store/fleet-conformance.js';
import { funnelConformance } from './store/funnel-conformance.js';
import { uiReadConformance } from './store/ui-read-conformance.js';
import { appDay, D0, dayStart, touch } from './store/fact-fixtures.js';
import { rejectsWith } from './store/fixtures.js';
import { createStore } from '../store/create-store.js';
import { MysqlStore } from '../store/mysql-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ConformanceHarness } from './store/conformance.js';
import type { ReportStore } from '../store/store.js';
import { sharedMariaDb, startMariaDb } from './helpers/mariadb.js';
import type { MariaDb } from './helpers/mariadb.js';

// ---- SQLite: a fresh file per store ----

let sqliteDir = '';
let files = 0;
before(async () => {
  sqliteDir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
});
after(async () => {
  await rm(sqliteDir, { recursive: true, force: true });
});

const sqlitePath = (s: ReportStore): string => s.location.replace(/^sqlite:/, '');

const sqliteHarness: ConformanceHarness = {
  name: 'SQLite',
  open: async () => new SqliteStore({ path: join(sqliteDir, `db${++files}`, 'sluice.db') }),
  reopen: async (s) => new SqliteStore({ path: sqlitePath(s) }),
  dump: async (s) => {
    const db = new Database(sqlitePath(s), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      assert.ok(tables.length >= 10);
      return tables.map((t) => `${t.name}: ${JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all())}`).join('\n');
    } finally {
      db.close();
    }
  },
};
storeConformance(sqliteHarness);
factConformance(sqliteHarness);
audienceConformance(sqliteHarness);
funnelConformance(sqliteHarness);
fleetConformance(sqliteHarness);
uiReadConformance(sqliteHarness);

// ---- MySQL: one MariaDB server for this file, a fresh database per store ----

let server: MariaDb | undefined;
const urls = new WeakMap<ReportStore, string>();
const mariadb = async (): Promise<MariaDb> => (server ??= await sharedMariaDb());
after(async () => {
  await server?.stop();
});

async function mysqlDump(url: string): Promise<string> {
  const conn = await mysql.createConnection(url);
  try {
    const [tables] = await conn.query('SHOW TABLES');
    const names = (tables as Record<string, string>[]).map((r) => Object.values(r)[0]!);
    assert.ok(names.length >= 10);
    const out: string[] = [];
    for (const n of names) out.push(`${n}: ${JSON.stringify((await conn.query(`SELECT * FROM \`${n}\``))[0])}`);
    return out.join('\n');
  } finally {
    await conn.end();
  }
}

describe('a throwaway MariaDB for the MySQL store', () => {
  it('installs when missing, starts and answers', async (t) => {
    const t0 = Date.now();
    const db = await mariadb();
    const { installMs, initMs, startMs } = db.timings;
    t.diagnostic(`MariaDB install ${installMs} ms, init ${initMs} ms, start ${startMs} ms (ready ${Date.now() - t0} ms after this test began)`);
    const conn = await mysql.createConnection(await db.createDatabase());
    const [rows] = await conn.query('SELECT VERSION() AS v');
    await conn.end();
    assert.match(String((rows as { v: string }[])[0]?.v), /MariaDB/);
  });
});

const mysqlHarness: ConformanceHarness = {
  name: 'MySQL on MariaDB',
  open: async () => {
    const url = await (await mariadb()).createDatabase();
    const s = new MysqlStore({ url });
    urls.set(s, url);
    return s;
  },
  reopen: async (s) => {
    const t = new MysqlStore({ url: urls.get(s)! });
    urls.set(t, urls.get(s)!);
    return t;
  },
  dump: async (s) => mysqlDump(urls.get(s)!),
};
storeConformance(mysqlHarness);
factConformance(mysqlHarness);
audienceConformance(mysqlHarness);
funnelConformance(mysqlHarness);
fleetConformance(mysqlHarness);
uiReadConformance(mysqlHarness);

describe('the MySQL store', () => {
  it('creates InnoDB tables in utf8mb4 with exact (binary) collation whatever the database default', async () => {
    const url = await (await mariadb()).createDatabase();
    const s = await createStore({ store: 'mysql', mysqlUrl: url });
    await s.close();
    const conn = await mysql.createConnection(url);
    try {
      const [rows] = await conn.query(
        'SELECT TABLE_NAME AS t, ENGINE AS e, TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()',
      );
      const tables = rows as { t: string; e: string; c: string }[];
      assert.ok(tables.some((r) => r.t === 'campaigns'));
      for (const r of tables) {
        assert.equal(r.e, 'InnoDB', r.t);
        assert.equal(r.c, 'utf8mb4_bin', r.t);
      }
    } finally {
      await conn.end();
    }
  });

  it('keeps the old facts when the connection of a load is killed half-way through its inserts', async () => {
    const url = await (await mariadb()).createDatabase();
    const s = await createStore({ store: 'mysql', mysqlUrl: url });
    const watcher = await mysql.createConnection(url);
    try {
      const old = appDay('app_k', D0);
      await s.replaceAppDay('app_k', D0, old, 'run_1', dayStart(D0) + 86_400_000);
      const big = appDay('app_k', D0, 2);
      big.touches = Array.from({ length: 50_000 }, (_, i) => touch('app_k', `dev_${String(i).padStart(6, '0')}`, dayStart(D0) + i, 0));
      const load = s.replaceAppDay('app_k', D0, big, 'run_2', dayStart(D0) + 86_400_000);
      load.catch(() => undefined);
      // The hourly, daily, campaign and custom rows are replaced by now; kill the connection while it inserts touches.
      let killed = 0;
      for (let i = 0; i < 5000 && killed === 0; i++) {
        const [rows] = await watcher.query(
          "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE 'INSERT INTO touches%'",
        );
        const id = Number((rows as { id: number }[])[0]?.id ?? 0);
        if (id > 0) {
          await watcher.query('KILL ?', [id]);
          killed = id;
        }
      }
      assert.ok(killed > 0, 'the load was never seen inserting touches');
      await rejectsWith(load, 'STORE_ERR_UNAVAILABLE');
      const t = dayStart(D0);
      assert.deepEqual(await s.appHourly('app_k', t, t + 86_399_999), old.hourly);
      assert.deepEqual(await s.appDaily('app_k', D0, D0), old.daily);
      assert.deepEqual(await s.campaignHourly({ app_id: 'app_k', fromHour: t, toHour: t + 86_399_999 }), old.campaign);
      assert.deepEqual(await s.customDaily('app_k', D0, D0), old.custom);
      assert.deepEqual(await s.touches('app_k', D0, D0), old.touches);
      assert.deepEqual(await s.restatements({}), []);
    } finally {
      await watcher.end();
      await s.close();
    }
  });

  it('answers STORE_ERR_UNAVAILABLE when its server is gone, and does not show the password', async () => {
    // A server of its own, so that stopping it leaves the shared one alone.
    const own = await startMariaDb();
    const url = await own.createDatabase('sluice_gone');
    const password = new URL(url).password;
    const s = await createStore({ store: 'mysql', mysqlUrl: url });
    try {
      assert.equal(s.location.includes(password), false);
      const pub = await s.createPublisher({ name: 'before' });
      await own.stop();
      await rejectsWith(s.getPublisher(pub.id), 'STORE_ERR_UNAVAILABLE', 503);
      await rejectsWith(s.createPublisher({ name: 'after' }), 'STORE_ERR_UNAVAILABLE');
      await rejectsWith(s.loadCampaignSnapshot(), 'STORE_ERR_UNAVAILABLE');
      await rejectsWith(s.campaignRevision(), 'STORE_ERR_UNAVAILABLE');
      await assert.rejects(s.listPublishers(), (err: Error) => !err.message.includes(password));
    } finally {
      await s.close();
      await own.stop();
    }
    // Nothing listens there any more: opening fails the same way, and fast.
    const t0 = Date.now();
    await rejectsWith(createStore({ store: 'mysql', mysqlUrl: url }), 'STORE_ERR_UNAVAILABLE');
    assert.ok(Date.now() - t0 < 10_000);
  });
});
