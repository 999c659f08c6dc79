import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '../common/config.js';
import type { CommandSpec } from '../common/config.js';
import { createLake } from '../lake/create-lake.js';
import { lakeSchema, refineLake } from '../lake/options.js';

const schema = Type.Object({ ...lakeSchema.properties, port: Type.Integer({ default: 1, description: 'a tier option' }) });
const spec: CommandSpec<typeof schema> = { name: 'demo-tier', summary: 'a tier with lake options', schema, refine: refineLake };

describe('lake options', () => {
  it('give a local lake in ./data/lake by default', () => {
    const cfg = loadConfig(spec, [], {});
    assert.equal(cfg.lake, 'local');
    assert.equal(cfg.lakeDir, './data/lake');
    assert.equal(cfg.s3Region, 'us-east-1');
    assert.equal(cfg.s3ForcePathStyle, true);
    assert.equal(cfg.webhdfsRoot, '/sluice');
    assert.deepEqual(refineLake(cfg), []);
  });

  it('carry a default and a description on every option', () => {
    for (const [key, s] of Object.entries(lakeSchema.properties)) {
      assert.notEqual(s.default, undefined, key);
      assert.ok(String(s.description ?? '').length > 5, key);
    }
  });

  it('list every problem at once when composed into a tier schema', () => {
    assert.throws(
      () => loadConfig(spec, ['--lake', 's3', '--s3-endpoint', 'ftp://x', '--s3-access-key-id', 'AK'], {}),
      (err: Error & { problems?: string[] }) => {
        const text = (err.problems ?? []).join('\n');
        assert.match(text, /--s3-bucket/);
        assert.match(text, /--s3-endpoint/);
        assert.match(text, /--s3-secret-access-key/);
        return true;
      },
    );
    assert.throws(() => loadConfig(spec, [], { SLUICE_LAKE: 'webhdfs', SLUICE_WEBHDFS_ROOT: 'rel' }), /--webhdfs-url[\s\S]*--webhdfs-root/);
    assert.throws(() => loadConfig(spec, ['--lake', 'ftp'], {}), /--lake/);
    assert.deepEqual(refineLake({ ...loadConfig(spec, [], {}), lake: 'webhdfs', webhdfsUrl: 'not a url' }).length, 1);
  });

  it('open the lake they name, with a location that hides credentials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-lake-opt-'));
    try {
      const local = createLake({ lake: 'local', lakeDir: dir });
      assert.equal(local.kind, 'local');
      await local.put('a/b', Buffer.from('x'));
      assert.deepEqual(await local.list(''), [{ key: 'a/b', size: 1 }]);
      const s3 = createLake({ lake: 's3', s3Bucket: 'my-bucket', s3Prefix: '/lake/', s3Endpoint: 'http://127.0.0.1:1', s3AccessKeyId: 'AKID', s3SecretAccessKey: 'SECRET' });
      assert.equal(s3.kind, 's3');
      assert.equal(s3.location, 's3://my-bucket/lake');
      await s3.close();
      const hdfs = createLake({ lake: 'webhdfs', webhdfsUrl: 'http://nn:9870', webhdfsRoot: '/data/sluice', webhdfsUser: 'etl' });
      assert.equal(hdfs.kind, 'webhdfs');
      assert.equal(hdfs.location, 'webhdfs://nn:9870/data/sluice');
      assert.throws(() => createLake({ lake: 's3' }, 'pipeline'), (err: Error & { code?: string }) => err.code === 'CFG_ERR_INVALID' && /sluice pipeline/.test(err.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
