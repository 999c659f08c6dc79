import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '../common/config.js';
import type { CommandSpec } from '../common/config.js';
import { ConfigError } from '../common/errors.js';
import { createStore } from '../store/create-store.js';
import { MIGRATIONS } from '../store/migrations.js';
import { parseMysqlUrl, redactMysqlUrl, refineStore, storeSchema } from '../store/options.js';

const schema = Type.Object({ ...storeSchema.properties, port: Type.Integer({ default: 1, description: 'a tier option' }) });
const spec: CommandSpec<typeof schema> = { name: 'demo-tier', summary: 'a tier with store options', schema, refine: refineStore };

describe('store options', () => {
  it('give an embedded SQLite file in ./data by default', () => {
    const cfg = loadConfig(spec, [], {});
    assert.equal(cfg.store, 'sqlite');
    assert.equal(cfg.sqlitePath, './data/sluice.db');
    assert.equal(cfg.mysqlUrl, '');
    assert.deepEqual(refineStore(cfg), []);
    for (const [key, s] of Object.entries(storeSchema.properties)) {
      assert.notEqual(s.default, undefined, key);
      assert.ok(String(s.description ?? '').length > 5, key);
    }
  });

  it('take MySQL from flags or SLUICE_* variables', () => {
    const url = 'mysql://sluice:s3cret@db.internal:3307/reports';
    const cfg = loadConfig(spec, [], { SLUICE_STORE: 'mysql', SLUICE_MYSQL_URL: url });
    assert.equal(cfg.store, 'mysql');
    assert.deepEqual(parseMysqlUrl(cfg.mysqlUrl), { host: 'db.internal', port: 3307, user: 'sluice', password: 's3cret', database: 'reports' });
    assert.equal(loadConfig(spec, ['--store', 'mysql', '--mysql-url', url], {}).mysqlUrl, url);
    assert.deepEqual(parseMysqlUrl('mysql://u:p%40ss%3Aw@[::1]/db'), { host: '::1', port: 3306, user: 'u', password: 'p@ss:w', database: 'db' });
  });

  it('list every problem at once and never repeat the password', () => {
    assert.throws(() => loadConfig(spec, ['--store', 'mysql'], {}), /--mysql-url: give the server/);
    assert.throws(() => loadConfig(spec, ['--store', 'postgres'], {}), /--store/);
    const bad = ['http://u:hunter2@h/db', 'mysql://u:hunter2@h', 'mysql://u:hunter2@h:99999/db', 'mysql://:hunter2@h/db', 'mysql://u:hunter2@h/a-b', 'not a url hunter2'];
    for (const url of bad) {
      const problems = refineStore({ store: 'mysql', sqlitePath: 'x', mysqlUrl: url });
      assert.equal(problems.length, 1, url);
      assert.match(problems[0]!, /^--mysql-url: /);
      assert.ok(!problems[0]!.includes('hunter2'), problems[0]);
    }
    assert.throws(
      () => loadConfig(spec, ['--store', 'mysql', '--mysql-url', 'ftp://u:hunter2@h/db', '--sqlite-path', ' '], {}),
      (err: ConfigError) => err.problems.length === 1 && !err.message.includes('hunter2'),
    );
    assert.deepEqual(refineStore({ store: 'sqlite', sqlitePath: ' ', mysqlUrl: '' }).length, 1);
    assert.equal(redactMysqlUrl('mysql://u:hunter2@h:3306/db'), 'mysql://u:***@h:3306/db');
  });

  it('open a migrated SQLite store at the path they name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-store-opt-'));
    try {
      const path = join(dir, 'nested', 'sluice.db');
      const s = await createStore({ sqlitePath: path });
      assert.equal(s.kind, 'sqlite');
      assert.equal(s.location, `sqlite:${path}`);
      assert.ok(existsSync(path));
      assert.deepEqual(await s.appliedMigrations(), MIGRATIONS.map((m) => m.version));
      assert.equal(await s.migrate(), 0);
      await s.close();
      await assert.rejects(createStore({ store: 'mysql' }), (err: unknown) => err instanceof ConfigError && /--mysql-url/.test(err.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
