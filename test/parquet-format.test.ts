import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { Codec, FRAME_HEADER, FrameKind, encodeFrame } from '../common/segment-format.js';
import { dedupeKey, type KeyedEvent } from '../common/dedupe-key.js';
import decode from '../pipeline/decode-worker.js';
import encode from '../pipeline/encode-worker.js';
import { emptyDict } from '../pipeline/enricher.js';
import { dedupeKeyColumn, readParquetColumns, strAt, type IntColumn } from '../jobs/parquet-columns.js';
import { readFileSync } from 'node:fs';
import { correctedTs } from '../common/skew.js';
import { tmp } from './helpers/fleet.js';
import { decodePayload } from '../common/segment-format.js';
import { eventKey, frameRows } from '../pipeline/row.js';
import { parquetLines } from '../jobs/mr/parquet-lines.js';
import { parquetjsEncode } from '../bench/parquetjs-writer.js';

const T = Date.UTC(2026, 9, 1, 12);
const device = { device_id: 'd1', app_id: 'app1', platform: 'ios', country: 'US', region: 'CA', device_model: 'iPad13,1' };
const events = [
  { type: 'session_start', ts: T - 5000, seq: 0, event_id: 'e-1' },
  { type: 'custom', ts: T - 4000, seq: 1, event_id: 'back\\slash', name: 'buy', props: { sku: 'a' } },
  { type: 'screen_view', ts: T - 3000, seq: 2, name: 'home' }, // no id: a fingerprint key
  { type: 'ad_click', ts: T - 2000, seq: 3, event_id: 'e-4', campaign_id: 'c1', creative_id: 'cr1' },
];

/** One file through the stages' path: decode to chunks, encode with what the store said of the ids. */
function writeFile(path: string): void {
  const f = encodeFrame(FrameKind.Upload, Codec.Gzip, T, {}, gzipSync(JSON.stringify({ device, sent_at: T - 1000, events })));
  const data = f.subarray(FRAME_HEADER, FRAME_HEADER + f.readUInt32LE(0));
  const out = decode({ segment: 'seg-1', data: new Uint8Array(data), frames: [{ offset: 0, start: 0, length: data.length }] });
  const dict = emptyDict();
  dict.apps.app1 = { name: 'App One', publisher_id: 'p1' };
  dict.campaigns.c1 = { advertiser_id: 'adv1', name: 'Spring' };
  dict.creatives.cr1 = { line_item_id: 'li1' };
  encode({ chunks: out.chunks, dict, path });
}

test('event files are standard Parquet: ZSTD, dictionary pages for few-valued strings, times as UTC milliseconds, readable by DuckDB', async (t) => {
  const dir = tmp('parquet-format');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.parquet');
  writeFile(path);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const meta = (await c.runAndReadAll(`select m.path_in_schema, m.compression, m.encodings, s.type, s.logical_type from parquet_metadata('${path}') m join parquet_schema('${path}') s on s.name = m.path_in_schema`)).getRowObjects();
  const col = (name: string) => meta.find((m) => m.path_in_schema === name)!;
  assert.ok(meta.every((m) => m.compression === 'ZSTD'), 'every column chunk in ZSTD');
  assert.match(String(col('platform').encodings), /RLE_DICTIONARY/);
  assert.match(String(col('event_time').logical_type), /TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
  assert.equal(col('seq').type, 'INT64');
  const rows = (await c.runAndReadAll(`select epoch_ms(event_time), event_id, dedupe_key, app_name, advertiser_id, line_item_id, device_class, region_name, flags from '${path}' order by seq`)).getRows();
  c.closeSync();
  assert.equal(rows.length, 4);
  assert.equal(Number(rows[0]![0]), correctedTs(T - 5000, T - 1000, T), 'event time in UTC milliseconds, skew-corrected');
  assert.deepEqual(rows.map((r) => r.slice(3)), [
    ['App One', null, null, 'tablet', 'California', null],
    ['App One', null, null, 'tablet', 'California', null],
    ['App One', null, null, 'tablet', 'California', null],
    ['App One', 'adv1', 'li1', 'tablet', 'California', null],
  ]);
  // The key is stored only where the row cannot tell it: an escaped id and a fingerprint.
  assert.deepEqual(rows.map((r) => r[2] !== null), [false, true, true, false]);
});

test('the jobs read back every row\'s dedupe identity, stored or rebuilt, equal to the one tracking and dedupe define', async (t) => {
  const dir = tmp('parquet-format');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.parquet');
  writeFile(path);
  const [batch] = readParquetColumns(readFileSync(path), ['dedupe_key', 'app_id', 'device_id', 'event_id', 'seq']);
  const keys = dedupeKeyColumn(batch!);
  const seq = batch!.columns.get('seq') as IntColumn;
  const got = new Map<number, string>();
  for (let i = 0; i < batch!.rows; i++) got.set(seq.values[i]!, strAt(keys, i)!);
  for (const e of events) assert.equal(got.get(e.seq), dedupeKey({ ...device, ...e } as unknown as KeyedEvent), `event ${e.seq}`);
});

test('files of older pipelines (parquetjs-lite: GZIP, PLAIN, INT64 times, every key stored) are still read by the jobs and sluice mr', async (t) => {
  const dir = tmp('parquet-format');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'old.parquet');
  const f = encodeFrame(FrameKind.Upload, Codec.Gzip, T, {}, gzipSync(JSON.stringify({ device, sent_at: T - 1000, events })));
  const rows = frameRows(decodePayload(f.subarray(FRAME_HEADER, FRAME_HEADER + f.readUInt32LE(0))), 'seg-0', 0);
  for (const r of rows) r.dedupe_key ??= eventKey(r); // the old writer stored every key
  await parquetjsEncode({ rows, path });
  const [batch] = readParquetColumns(readFileSync(path), ['dedupe_key', 'app_id', 'device_id', 'event_id', 'seq', 'event_time']);
  const keys = dedupeKeyColumn(batch!);
  const seq = batch!.columns.get('seq') as IntColumn;
  const time = batch!.columns.get('event_time') as IntColumn;
  for (let i = 0; i < batch!.rows; i++) {
    const e = events.find((x) => x.seq === seq.values[i])!;
    assert.equal(strAt(keys, i), dedupeKey({ ...device, ...e } as unknown as KeyedEvent));
    assert.equal(time.values[i], correctedTs(e.ts, T - 1000, T));
  }
  const lines: string[] = [];
  for await (const l of parquetLines(path)) lines.push(l);
  assert.equal(lines.length, events.length);
  assert.equal((JSON.parse(lines[0]!) as { dedupe_key: string }).dedupe_key, rows[0]!.dedupe_key);
});
