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
import { storeConformance } from '../store/conformance.js';
import { rejectsWith } from '../store/fixtures.js';
import { createStore } from '../store/create-store.js';
import { MysqlStore } from '../store/mysql-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
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

storeConformance({
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
});

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

storeConformance({
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
});

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
