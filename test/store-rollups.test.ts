/**
 * The report rollups an app-day load writes (store/rollups.ts, computed from the facts in
 * memory) are the rows the migrations' rollup SELECTs compute from the stored facts, on
 * SQLite and on a real MariaDB.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { campaignRow, dayStart, hourly } from './store/fact-fixtures.js';
import type { AppDayFacts } from '../store/facts.js';
import { AD_DIMENSIONS, FILTER_ROLLUP_DIMENSIONS, MONEY_SLOT_SELECT, REPORT_DIMENSIONS, ROLLUP_AD_HOUR_SELECT, ROLLUP_HOUR_SELECT, rollupAdDimSelect, rollupDimHourSelect, rollupDimSelect } from '../store/migrations.js';
import { MysqlStore } from '../store/mysql-store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import { sharedMariaDb, type MariaDb } from './helpers/mariadb.js';
import { rng } from './helpers/rng.js';

const DAY = '2026-03-04';
const H = 3_600_000;
const TABLES = ['agg_app_hour_total', 'agg_app_dim_daily', 'agg_app_dim_hourly', 'agg_campaign_hour_li', 'agg_campaign_dim_daily', 'agg_money_slot_daily'];
/** The rollups as the migrations compute them from stored facts (and as loads did before store/rollups.ts). */
const BY_SQL = [
  `INSERT INTO agg_app_hour_total ${ROLLUP_HOUR_SELECT} WHERE app_id = ? GROUP BY app_id, hour, day`,
  ...REPORT_DIMENSIONS.map((d) => `INSERT INTO agg_app_dim_daily ${rollupDimSelect(d)} WHERE app_id = ? GROUP BY app_id, day, ${d}`),
  `INSERT INTO agg_campaign_hour_li ${ROLLUP_AD_HOUR_SELECT} WHERE app_id = ? GROUP BY app_id, hour, day, campaign_id, line_item_id`,
  ...AD_DIMENSIONS.map((d) => `INSERT INTO agg_campaign_dim_daily ${rollupAdDimSelect(d)} WHERE app_id = ? GROUP BY app_id, day, campaign_id, ${d}`),
  `INSERT INTO agg_money_slot_daily ${MONEY_SLOT_SELECT} WHERE app_id = ? AND line_item_id <> '' GROUP BY app_id, day, campaign_id, line_item_id, slot_id`,
  ...FILTER_ROLLUP_DIMENSIONS.map((d) => `INSERT INTO agg_app_dim_hourly ${rollupDimHourSelect(d)} WHERE app_id = ? GROUP BY app_id, hour, day, ${d}`),
];

/** An app-day of many facts over few values, so every rollup row sums several (distinct keys, as the jobs make them). */
function facts(app: string, seed: number): AppDayFacts {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const t = dayStart(DAY);
  const hourlyRows = new Map<string, ReturnType<typeof hourly>>();
  const campaignRows = new Map<string, ReturnType<typeof campaignRow>>();
  for (let i = 0; i < 400; i++) {
    const h = hourly(app, t + pick([0, 1, 2, 7, 23]) * H, 1 + Math.floor(r() * 9), { platform: pick(['ios', 'android']), os_version: pick(['17.4', '14', '']), app_version: pick(['2.1.0', '2.2.0']), country: pick(['US', 'CA', 'DE', '']), device_class: pick(['phone', 'tablet']) });
    hourlyRows.set([h.hour, h.platform, h.os_version, h.app_version, h.country, h.device_class].join('|'), h);
    const li = pick(['li_1', 'li_2', '']);
    const c = campaignRow(app, t + pick([0, 3, 23]) * H, 1 + Math.floor(r() * 9), { campaign_id: pick(['cmp_1', 'cmp_2']), line_item_id: li, creative_id: li === '' ? '' : pick(['cr_1', 'cr_2']), slot_id: pick(['slt_1', 'slt_2']), platform: pick(['ios', 'android']), country: pick(['US', 'CA', '']) });
    campaignRows.set([c.hour, c.campaign_id, c.line_item_id, c.creative_id, c.slot_id, c.platform, c.country].join('|'), c);
  }
  return { hourly: [...hourlyRows.values()], daily: [], campaign: [...campaignRows.values()], custom: [], touches: [] };
}

interface Backend {
  name: string;
  open(): Promise<{ store: ReportStore; all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>; run(sql: string, params: unknown[]): Promise<void>; close(): Promise<void> }>;
}

let dir = '';
let server: MariaDb | undefined;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-rollups-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await server?.stop();
});

const backends: Backend[] = [
  {
    name: 'SQLite',
    open: async () => {
      const path = join(dir, `r${Math.random().toString(36).slice(2)}.db`);
      const store = new SqliteStore({ path });
      await store.migrate();
      const db = new Database(path);
      return {
        store,
        all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, unknown>[],
        run: async (sql, params) => void db.prepare(sql).run(...params),
        close: async () => (db.close(), await store.close()),
      };
    },
  },
  {
    name: 'MariaDB',
    open: async () => {
      server ??= await sharedMariaDb();
      const url = await server.createDatabase();
      const store = new MysqlStore({ url });
      await store.migrate();
      const conn = await mysql.createConnection(url);
      return {
        store,
        all: async (sql, params) => (await conn.query(sql, params))[0] as Record<string, unknown>[],
        run: async (sql, params) => void (await conn.query(sql, params)),
        close: async () => (await conn.end(), await store.close()),
      };
    },
  },
];

/** Every rollup row of the app, values as JS numbers and strings, in key order. */
async function rollups(db: Awaited<ReturnType<Backend['open']>>, app: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of TABLES) {
    const rows = await db.all(`SELECT * FROM ${t} WHERE app_id = ?`, [app]);
    // mysql2 answers BIGINT as numbers or strings by size: compare as text.
    out[t] = rows.map((r) => JSON.stringify(Object.values(r).map((v) => (typeof v === 'number' || typeof v === 'bigint' ? String(v) : v)))).sort();
  }
  return out;
}

for (const b of backends) {
  describe(`report rollups of an app-day load on ${b.name}`, () => {
    it('are the rows the migrations\' rollup SELECTs compute from the stored facts', async () => {
      const db = await b.open();
      try {
        const app = 'app_roll';
        const f = facts(app, 7);
        await db.store.replaceAppDay(app, DAY, f, 'run_r1', Date.now());
        const loaded = await rollups(db, app);
        assert.ok(loaded.agg_campaign_dim_daily!.length >= 15 && loaded.agg_app_dim_hourly!.length > 20, 'the fixture makes many rollup rows');
        assert.ok(loaded.agg_money_slot_daily!.every((r) => (JSON.parse(r as string) as string[])[3] !== ''), 'money by slot leaves out ads without a line item');
        for (const t of TABLES) await db.run(`DELETE FROM ${t} WHERE app_id = ?`, [app]);
        for (const sql of BY_SQL) await db.run(sql, [app]);
        assert.deepEqual(loaded, await rollups(db, app));
        // A sum that could be wrong: the hour totals add up to the facts' events.
        const events = f.hourly.reduce((s, r) => s + r.events, 0);
        const totals = await db.all('SELECT SUM(events) AS n FROM agg_app_hour_total WHERE app_id = ?', [app]);
        assert.equal(Number(totals[0]!.n), events);
      } finally {
        await db.close();
      }
    });

    it('make one row of dimension values MySQL compares as equal (trailing spaces), so the load is not refused', async () => {
      const db = await b.open();
      try {
        const app = 'app_pad';
        const t = dayStart(DAY);
        const f: AppDayFacts = {
          hourly: [hourly(app, t, 1, { app_version: '2.1' }), hourly(app, t, 2, { app_version: '2.1 ', country: 'CA' })],
          daily: [],
          campaign: [campaignRow(app, t, 1, { slot_id: 'slt' }), campaignRow(app, t, 2, { slot_id: 'slt ', country: 'CA' })],
          custom: [],
          touches: [],
        };
        await db.store.replaceAppDay(app, DAY, f, 'run_p1', Date.now());
        const versions = await db.all("SELECT value, events FROM agg_app_dim_daily WHERE app_id = ? AND dim = 'app_version'", [app]);
        assert.deepEqual(versions.map((r) => [r.value, Number(r.events)]), [['2.1', 300]]);
        const slots = await db.all("SELECT value, impressions FROM agg_campaign_dim_daily WHERE app_id = ? AND dim = 'slot_id'", [app]);
        assert.deepEqual(slots.map((r) => [r.value, Number(r.impressions)]), [['slt', 24]]);
        assert.equal((await db.store.appHourly(app, t, t + H)).length, 2, 'both facts are kept');
      } finally {
        await db.close();
      }
    });
  });
}
