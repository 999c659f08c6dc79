import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LocalLake } from '../lake/local-lake.js';
import { S3Lake } from '../lake/s3-lake.js';
import { WebHdfsLake } from '../lake/webhdfs-lake.js';
import type { Lake } from '../lake/lake.js';
import { segmentKey } from '../tracking/shipper.js';
import { startS3Server } from './helpers/s3-server.js';
import { startWebHdfsDouble } from './helpers/webhdfs-double.js';
import { tmp } from './helpers/fleet.js';
import { post, startTestTracking } from './helpers/tracking.js';

const device = { device_id: 'ship-dev', app_id: 'app_0001', platform: 'ios' };
const batch = (n: number) => JSON.stringify({ device, events: Array.from({ length: n }, (_, i) => ({ event_id: `s-${i}-${Math.random()}`, seq: i, type: 'app_open', ts: Date.now() })) });

/** Sends a few batches, seals the segment and ships; returns the segment's name and local bytes. */
async function shipThrough(lake: Lake) {
  const t = await startTestTracking({ shipIntervalMs: 3_600_000 }, lake);
  try {
    for (let i = 0; i < 3; i++) assert.equal((await post(t.url, batch(10))).status, 200);
    await t.segments.roll();
    const [name] = t.segments.sealed();
    assert.ok(name, 'a sealed segment');
    assert.equal(await t.shipper.shipOnce(), 1);
    assert.deepEqual(t.segments.sealed(), [], 'marked shipped');
    const local = readFileSync(join(t.segmentDir, 'shipped', name));
    const remote = await lake.get(segmentKey(name));
    assert.ok(remote.equals(local), 'the lake holds the same bytes');
    assert.deepEqual((await lake.list('segments/')).map((o) => o.key), [segmentKey(name)]);
    return name;
  } finally {
    await t.close();
  }
}

describe('shipping sealed segments to the lake', () => {
  test('puts them in S3 (a real S3 API server on loopback) under segments/dt=DAY/', async () => {
    const s3 = await startS3Server();
    try {
      const name = await shipThrough(new S3Lake({ bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }));
      assert.match(segmentKey(name), /^segments\/dt=\d{4}-\d{2}-\d{2}\/[\w.]+-\d{13}-\d{6}\.seg$/);
    } finally {
      await s3.close();
    }
  });

  test('puts them in HDFS over WebHDFS with the two-step CREATE', async () => {
    const hdfs = await startWebHdfsDouble();
    try {
      await shipThrough(new WebHdfsLake({ url: hdfs.url, root: '/sluice', user: 'sluice' }));
      assert.ok(hdfs.count('namenode:CREATE') >= 1 && hdfs.count('datanode:CREATE') >= 1, 'the namenode redirected and the datanode took the bytes');
      assert.ok(hdfs.files().some((f) => f.startsWith('/sluice/segments/dt=')));
    } finally {
      await hdfs.close();
    }
  });

  test('keeps a segment unshipped while the lake fails, counts the failures, and ships it when the lake is back', async () => {
    const lakeDir = tmp('lake');
    // A file where the lake needs a directory: every put fails, for real, until it is removed.
    writeFileSync(join(lakeDir, 'segments'), 'in the way');
    const t = await startTestTracking({ shipIntervalMs: 3_600_000 }, new LocalLake({ dir: lakeDir }));
    try {
      assert.equal((await post(t.url, batch(5))).status, 200);
      await t.segments.roll();
      assert.equal(await t.shipper.shipOnce(), 0);
      assert.equal(t.segments.sealed().length, 1, 'still waiting locally');
      assert.equal(readdirSync(join(t.segmentDir, 'shipped')).length, 0);
      const m = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(m, /sluice_tracking_ship_errors_total\{[^}]*\} [1-9]/);
      assert.ok(t.shipper.lagSeconds() >= 0);
      rmSync(join(lakeDir, 'segments'));
      mkdirSync(join(lakeDir, 'segments'));
      assert.equal(await t.shipper.shipOnce(), 1);
      assert.equal(t.segments.sealed().length, 0);
    } finally {
      await t.close();
    }
  });
});
