import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Lake } from '../lake/lake.js';
import { LocalLake } from '../lake/local-lake.js';
import { S3Lake } from '../lake/s3-lake.js';
import { WebHdfsLake } from '../lake/webhdfs-lake.js';
import { startS3Server } from './helpers/s3-server.js';
import type { S3Server } from './helpers/s3-server.js';
import { startWebHdfsDouble } from './helpers/webhdfs-double.js';
import type { WebHdfsDouble } from './helpers/webhdfs-double.js';

const code = (c: string) => (err: unknown) => (err as { code?: string }).code === c;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * The conformance suite every lake passes. `open` gives a fresh, empty lake for each test;
 * `listCount` objects are listed (enough to page through S3 listings).
 */
function conformance(open: () => Promise<Lake>, listCount = 50): void {
  const opened: Lake[] = [];
  const fresh = async (): Promise<Lake> => {
    const lake = await open();
    opened.push(lake);
    return lake;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((l) => l.close()));
  });

  it('returns exactly the bytes put, for binary and empty objects', async () => {
    const lake = await fresh();
    const bin = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await lake.put('segments/host-a/000001.seg', bin);
    await lake.put('empty', new Uint8Array(0));
    assert.deepEqual(await lake.get('segments/host-a/000001.seg'), bin);
    assert.equal((await lake.get('empty')).length, 0);
  });

  it('keeps a 5 MB object byte for byte', async () => {
    const lake = await fresh();
    const big = randomBytes(5 * 1024 * 1024);
    await lake.put('events/app_id=a1/date=2024-05-01/part-0.parquet', big);
    const back = await lake.get('events/app_id=a1/date=2024-05-01/part-0.parquet');
    assert.equal(back.length, big.length);
    assert.ok(back.equals(big));
  });

  it('replaces an object when the same key is put again', async () => {
    const lake = await fresh();
    await lake.put('k/v', Buffer.from('first version, longer'));
    await lake.put('k/v', Buffer.from('second'));
    assert.equal((await lake.get('k/v')).toString(), 'second');
    assert.deepEqual(await lake.list('k/'), [{ key: 'k/v', size: 6 }]);
  });

  it('tells present objects from absent ones', async () => {
    const lake = await fresh();
    await lake.put('a/b/c', Buffer.from('x'));
    assert.equal(await lake.exists('a/b/c'), true);
    assert.equal(await lake.exists('a/b/d'), false);
    assert.equal(await lake.exists('a/b'), false, 'a "directory" is not an object');
    assert.equal(await lake.exists('nowhere/at/all'), false);
  });

  it('fails a get of a missing key with LAKE_ERR_NOT_FOUND', async () => {
    const lake = await fresh();
    await assert.rejects(lake.get('missing/key'), code('LAKE_ERR_NOT_FOUND'));
    await lake.put('present', Buffer.from('x'));
    await assert.rejects(lake.get('present-not'), code('LAKE_ERR_NOT_FOUND'));
    await assert.rejects(lake.get('present/below'), code('LAKE_ERR_NOT_FOUND'));
  });

  it('lists every object under a prefix, sorted by key, with sizes, nested keys included', async () => {
    const lake = await fresh();
    const keys: string[] = [];
    for (let i = 0; i < listCount; i++) keys.push(`p/${['a', 'b', 'ab'][i % 3]}/${i % 2 === 0 ? 'x/' : ''}obj-${String(i).padStart(3, '0')}`);
    // Not 'p.txt': s3rver walks its directory tree, so it returns 'p/...' before 'p.txt'
    // ('.' sorts below '/') and then skips 'p.txt' across pages. Real S3 does not.
    keys.push('p_all', 'pq/other', 'q/outside');
    const shuffled = [...keys].sort(() => Math.random() - 0.5);
    for (let i = 0; i < shuffled.length; i += 10) {
      await Promise.all(shuffled.slice(i, i + 10).map((k) => lake.put(k, Buffer.alloc(k.length, 1))));
    }
    const all = await lake.list('');
    assert.deepEqual(all.map((o) => o.key), [...keys].sort());
    assert.ok(all.every((o) => o.size === o.key.length));
    const underP = keys.filter((k) => k.startsWith('p/')).sort();
    assert.deepEqual((await lake.list('p/')).map((o) => o.key), underP);
    assert.deepEqual((await lake.list('p/a')).map((o) => o.key), underP.filter((k) => k.startsWith('p/a')), 'a prefix may end inside a name');
    assert.deepEqual((await lake.list('p/ab/')).map((o) => o.key), underP.filter((k) => k.startsWith('p/ab/')));
    assert.deepEqual((await lake.list('p')).map((o) => o.key), keys.filter((k) => k.startsWith('p')).sort());
    assert.deepEqual(await lake.list('nothing/here/'), []);
  });

  it('renames an object, creating the target path and replacing an existing target', async () => {
    const lake = await fresh();
    await lake.put('tmp/one', Buffer.from('one'));
    await lake.rename('tmp/one', 'final/deep/one');
    assert.equal(await lake.exists('tmp/one'), false);
    assert.equal((await lake.get('final/deep/one')).toString(), 'one');
    await lake.put('tmp/two', Buffer.from('two'));
    await lake.rename('tmp/two', 'final/deep/one');
    assert.equal((await lake.get('final/deep/one')).toString(), 'two');
    assert.deepEqual((await lake.list('')).map((o) => o.key), ['final/deep/one']);
    await lake.rename('final/deep/one', 'final/deep/one');
    assert.equal((await lake.get('final/deep/one')).toString(), 'two', 'renaming onto itself changes nothing');
  });

  it('fails a rename of a missing object with LAKE_ERR_NOT_FOUND and leaves the target alone', async () => {
    const lake = await fresh();
    await lake.put('target', Buffer.from('keep'));
    await assert.rejects(lake.rename('ghost', 'target'), code('LAKE_ERR_NOT_FOUND'));
    assert.equal((await lake.get('target')).toString(), 'keep');
  });

  it('deletes an object, and deleting an absent one is not an error', async () => {
    const lake = await fresh();
    await lake.put('d/e', Buffer.from('x'));
    await lake.put('d/f', Buffer.from('y'));
    await lake.delete('d/e');
    assert.equal(await lake.exists('d/e'), false);
    await lake.delete('d/e');
    await lake.delete('never/was');
    assert.deepEqual((await lake.list('d/')).map((o) => o.key), ['d/f']);
  });

  it('rejects keys that could escape the lake with LAKE_ERR_BAD_KEY', async () => {
    const lake = await fresh();
    for (const bad of ['../x', '/abs', 'a//b', 'a/../b', './a', 'a/', '', 'a\\b']) {
      await assert.rejects(lake.put(bad, Buffer.from('x')), code('LAKE_ERR_BAD_KEY'), `put ${bad}`);
      await assert.rejects(lake.get(bad), code('LAKE_ERR_BAD_KEY'), `get ${bad}`);
      await assert.rejects(lake.exists(bad), code('LAKE_ERR_BAD_KEY'), `exists ${bad}`);
      await assert.rejects(lake.delete(bad), code('LAKE_ERR_BAD_KEY'), `delete ${bad}`);
      await assert.rejects(lake.rename('ok', bad), code('LAKE_ERR_BAD_KEY'), `rename to ${bad}`);
    }
    for (const bad of ['../', '/abs/', 'a//']) await assert.rejects(lake.list(bad), code('LAKE_ERR_BAD_KEY'), `list ${bad}`);
  });

  it('names its location without credentials', async () => {
    const lake = await fresh();
    assert.ok(lake.location.length > 0);
    assert.doesNotMatch(lake.location, /S3RVER|secret/i);
  });
}

describe('local lake', () => {
  const dirs: string[] = [];
  const open = async (): Promise<LocalLake> => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-lake-'));
    dirs.push(dir);
    return new LocalLake({ dir });
  };
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  conformance(open);

  it('never shows a reader a partial object while puts replace it', async () => {
    const lake = await open();
    const size = 2 * 1024 * 1024;
    const versions = [Buffer.alloc(size, 0x41), Buffer.alloc(size, 0x42)];
    await lake.put('hot', versions[0]!);
    let writing = true;
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const got = await lake.get('hot');
        reads++;
        assert.equal(got.length, size, 'a read saw a partial object');
        assert.ok(got.equals(versions[0]!) || got.equals(versions[1]!), 'a read saw mixed content');
      }
    })();
    for (let i = 1; i <= 12; i++) await lake.put('hot', versions[i % 2]!);
    writing = false;
    await reader;
    assert.ok(reads > 0);
  });

  it('does not list the temporary files of unfinished puts', async () => {
    const lake = await open();
    await lake.put('seg/a', Buffer.from('a'));
    await writeFile(join(lake.location, 'seg', '.b.lake-tmp-0123456789abcdef'), 'half');
    assert.deepEqual(await lake.list(''), [{ key: 'seg/a', size: 1 }]);
  });
});

describe('S3 lake (s3rver)', () => {
  let s3: S3Server;
  let n = 0;
  before(async () => {
    s3 = await startS3Server();
  });
  after(async () => {
    await s3?.close();
  });
  const open = async (prefix = `run/t${++n}`, listPageSize = 7): Promise<S3Lake> =>
    new S3Lake({
      bucket: s3.bucket,
      prefix,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      listPageSize, // small pages, so listings go through continuation tokens
    });

  conformance(() => open());

  it('sees only the objects under its own key prefix', async () => {
    const a = await open('iso/a');
    const ab = await open('iso/ab');
    await a.put('k', Buffer.from('a'));
    await ab.put('k', Buffer.from('ab'));
    assert.deepEqual(await a.list(''), [{ key: 'k', size: 1 }]);
    assert.equal((await ab.get('k')).toString(), 'ab');
    assert.equal(a.location, `s3://${s3.bucket}/iso/a`);
    await Promise.all([a.close(), ab.close()]);
  });

  it('gives LAKE_ERR_UNAVAILABLE when the S3 server is down', async () => {
    const lake = new S3Lake({
      bucket: 'b',
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    await assert.rejects(lake.put('k', Buffer.from('x')), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.get('k'), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.exists('k'), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.list(''), code('LAKE_ERR_UNAVAILABLE'));
    await lake.close();
  });
});

describe('WebHDFS lake (protocol double)', () => {
  let hdfs: WebHdfsDouble;
  let n = 0;
  before(async () => {
    hdfs = await startWebHdfsDouble();
  });
  after(async () => {
    await hdfs?.close();
  });
  const open = async (): Promise<WebHdfsLake> => new WebHdfsLake({ url: hdfs.url, root: `/sluice/t${++n}`, user: 'sluice' });

  conformance(open);

  it('writes with the two-step CREATE: namenode 307, datanode PUT 201, then RENAME', async () => {
    const lake = await open();
    const before = { nn: hdfs.count('namenode:CREATE'), dn: hdfs.count('datanode:CREATE'), mv: hdfs.count('namenode:RENAME') };
    await lake.put('two/step', Buffer.from('payload'));
    assert.equal(hdfs.count('namenode:CREATE') - before.nn, 1);
    assert.equal(hdfs.count('datanode:CREATE') - before.dn, 1);
    assert.equal(hdfs.count('namenode:RENAME') - before.mv, 1);
    assert.equal(hdfs.statuses.get('namenode:CREATE')!.at(-1), 307);
    assert.equal(hdfs.statuses.get('datanode:CREATE')!.at(-1), 201);
    assert.equal((await lake.get('two/step')).toString(), 'payload');
    assert.equal(hdfs.statuses.get('namenode:OPEN')!.at(-1), 307, 'OPEN is redirected to the datanode too');
    assert.equal(hdfs.statuses.get('datanode:OPEN')!.at(-1), 200);
  });

  it('does not create the target path until the RENAME, and the renamed file is whole', async () => {
    const lake = await open();
    const target = `/sluice/t${n}/atomic/file`;
    const data = randomBytes(300_000);
    const seen: { op: string; targetExists: boolean; tmpComplete?: boolean }[] = [];
    hdfs.onOp = (op, path, params) => {
      const entry: (typeof seen)[number] = { op, targetExists: hdfs.isFile(target) };
      if (op === 'RENAME') entry.tmpComplete = params.get('destination') === target && hdfs.isFile(path) && path.startsWith(`${target}._tmp_`);
      seen.push(entry);
    };
    try {
      await lake.put('atomic/file', data);
    } finally {
      hdfs.onOp = undefined;
    }
    const rename = seen.findIndex((s) => s.op === 'RENAME');
    assert.ok(rename >= 0, 'a RENAME happened');
    assert.ok(seen.slice(0, rename + 1).every((s) => !s.targetExists), 'the target existed before the RENAME');
    assert.equal(seen[rename]!.tmpComplete, true, 'the RENAME moved the temporary file onto the target');
    assert.ok(hdfs.isFile(target));
    assert.ok((await lake.get('atomic/file')).equals(data));
    assert.deepEqual(hdfs.files().filter((f) => f.includes('._tmp_')), [], 'no temporary file is left');
  });

  it('is refused by the namenode when data is sent with CREATE, as a real namenode would', async () => {
    const res = await fetch(`${hdfs.url}/webhdfs/v1/sluice/direct?op=CREATE&overwrite=true`, { method: 'PUT', body: 'data', redirect: 'manual' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { RemoteException: { exception: string } };
    assert.equal(body.RemoteException.exception, 'IllegalArgumentException');
    assert.equal(hdfs.isFile('/sluice/direct'), false);
  });

  it('names the Java exception of a RemoteException in the error', async () => {
    const lake = await open();
    await lake.put('file', Buffer.from('x'));
    await assert.rejects(lake.put('file/below', Buffer.from('y')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'LAKE_ERR_PROTOCOL');
      assert.match(err.message, /ParentNotDirectoryException/);
      return true;
    });
  });

  it('gives LAKE_ERR_UNAVAILABLE when the namenode is down', async () => {
    const lake = new WebHdfsLake({ url: `http://127.0.0.1:${await closedPort()}`, root: '/sluice' });
    await assert.rejects(lake.put('k', Buffer.from('x')), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.get('k'), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.exists('k'), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.list(''), code('LAKE_ERR_UNAVAILABLE'));
    await assert.rejects(lake.delete('k'), code('LAKE_ERR_UNAVAILABLE'));
  });
});
