/**
 * bench:parquet-writers — the same enriched rows (a fleet's segments through frameRows and the
 * enricher) written as one Parquet file per lake partition by each writer candidate, in one run:
 * rows/s of the writing alone (one thread) and bytes against the raw JSON of the uploads.
 * Usage: node dist/bench/parquet-writers.bench.js --dir DIR [--one-file] (DIR a bench:pipeline data dir: lake-seed/, sluice.db)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance, VARCHAR, BIGINT, DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import { gunzipSync } from 'node:zlib';
import { Codec, FRAME_HEADER, scanSegment } from '../common/segment-format.js';
import { LocalLake } from '../lake/local-lake.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { emptyDict, Enricher } from '../pipeline/enricher.js';
import decode from '../pipeline/decode-worker.js';
import type { RowChunk } from '../pipeline/row-columns.js';
import { eventKey, frameRows, type EventRow } from '../pipeline/row.js';
import parquet from 'parquetjs-lite';
import { writeFileSync } from 'node:fs';
import { Dictionary, Int32, Int64, Table, Utf8, makeVector, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm/node';
import encode from '../pipeline/encode-worker.js';
import { EVENT_SCHEMA, eventSchema, parquetjsEncode } from './parquetjs-writer.js';

const { values } = parseArgs({ options: { dir: { type: 'string' }, lake: { type: 'string', default: 'lake-seed' }, 'one-file': { type: 'boolean', default: false } } });
const dir = values.dir!;
const store = new SqliteStore({ path: join(dir, 'sluice.db') });
const lake = new LocalLake({ dir: join(dir, values.lake!) });
const enricher = new Enricher(store);
const parts = new Map<string, EventRow[]>();
let rawJson = 0;
for (const { key } of await lake.list('segments/')) {
  for (const item of scanSegment(await lake.get(key))) {
    if (!item.ok) continue;
    rawJson += item.frame.codec === Codec.Gzip ? gunzipSync(item.frame.body).length : item.frame.body.length;
    for (const r of await enricher.enrich(frameRows(item.frame, 'seg', item.offset))) {
      r.dedupe_key ??= eventKey(r); // parquetjs-lite's schema has it required, as before
      const part = `app_id=${r.app_id}/dt=${r.dt}`;
      let list = parts.get(part);
      if (!list) parts.set(part, (list = []));
      list.push(r);
    }
  }
}
// The pipeline's own input to its writer: decode's column chunks (batches of 1024 frames, as `sluice pipeline` runs), with the ids' enrichment.
const chunkParts = new Map<string, RowChunk[]>();
const dict = emptyDict();
for (const { key } of await lake.list('segments/')) {
  const buf = await lake.get(key);
  let frames: { offset: number; start: number; length: number }[] = [];
  const run = async (): Promise<void> => {
    const out = decode({ segment: 'seg', data: buf, frames });
    await enricher.resolve(out, dict);
    for (const c of out.chunks) {
      const part = values['one-file'] ? 'all' : c.part;
      let list = chunkParts.get(part);
      if (!list) chunkParts.set(part, (list = []));
      list.push(c);
    }
    frames = [];
  };
  for (const item of scanSegment(buf)) {
    if (!item.ok) continue;
    frames.push({ offset: item.offset, start: item.offset + FRAME_HEADER, length: buf.readUInt32LE(item.offset) });
    if (frames.length >= 1024) await run();
  }
  if (frames.length > 0) await run();
}
await store.close();
// --one-file: every row in one file, to tell a writer's per-row cost from its per-file cost.
if (values['one-file']) {
  const all = [...parts.values()].flat();
  parts.clear();
  parts.set('all', all);
}
let n = 0;
for (const rows of parts.values()) n += rows.length;
const names = Object.keys(EVENT_SCHEMA) as (keyof EventRow)[];
const isInt = (c: string) => (EVENT_SCHEMA as Record<string, { type: string }>)[c]!.type === 'INT64';
console.log(`load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
console.log(`${n.toLocaleString('en')} rows in ${parts.size} partitions; raw JSON of the uploads ${(rawJson / 1e6).toFixed(1)} MB`);
console.log('| writer | rows/s, one thread | Parquet | of raw JSON |\n|---|---|---|---|');

function du(d: string): number {
  let b = 0;
  for (const e of readdirSync(d)) b += statSync(join(d, e)).size;
  return b;
}

type Writer = (rows: EventRow[], path: string) => Promise<void>;
const duck = await (await DuckDBInstance.create(':memory:', { threads: '1' })).connect();
const cols = names.map((c) => `${c} ${isInt(c) ? 'BIGINT' : 'VARCHAR'}`).join(', ');
const types: DuckDBType[] = names.map((c) => (isInt(c) ? BIGINT : VARCHAR));
/** DuckDB: rows appended into a table 2048 at a time as column vectors, then COPY TO parquet. */
const duckWriter = (codec: string): Writer => async (rows, path) => {
  await duck.run(`CREATE OR REPLACE TEMP TABLE t (${cols})`);
  const app = await duck.createAppender('t');
  for (let at = 0; at < rows.length; at += 2048) {
    const m = Math.min(2048, rows.length - at);
    const chunk = DuckDBDataChunk.create(types, m);
    for (let c = 0; c < names.length; c++) {
      const k = names[c]!;
      const v = new Array(m);
      if (isInt(k)) for (let i = 0; i < m; i++) { const x = rows[at + i]![k]; v[i] = x === null ? null : BigInt(x as number); }
      else for (let i = 0; i < m; i++) v[i] = rows[at + i]![k];
      chunk.setColumnValues(c, v);
    }
    app.appendDataChunk(chunk);
  }
  app.closeSync();
  await duck.run(`COPY t TO '${path}' (FORMAT parquet, COMPRESSION ${codec})`);
};
/** DuckDB: rows appended value by value (appendVarchar, appendBigInt), then COPY TO parquet. */
const duckRowWriter = (codec: string): Writer => async (rows, path) => {
  await duck.run(`CREATE OR REPLACE TEMP TABLE t (${cols})`);
  const app = await duck.createAppender('t');
  for (const r of rows) {
    for (const k of names) {
      const x = r[k];
      if (x === null) app.appendNull();
      else if (typeof x === 'number') app.appendBigInt(BigInt(x));
      else app.appendVarchar(x);
    }
    app.endRow();
  }
  app.closeSync();
  await duck.run(`COPY t TO '${path}' (FORMAT parquet, COMPRESSION ${codec})`);
};
/**
 * apache-arrow + parquet-wasm (Rust's parquet crate): strings as Arrow dictionary vectors (an
 * Int32 id per row and the distinct values, as the pipeline's column chunks hold them), integers
 * as Int64, handed to the Rust writer over Arrow IPC; dictionary pages on, one codec.
 */
const arrowWriter = (codec: Compression): Writer => {
  const props = () => new WriterPropertiesBuilder().setCompression(codec).setDictionaryEnabled(true).build();
  return async (rows, path) => {
    const columns: Record<string, Vector> = {};
    for (const k of names) {
      if (isInt(k)) {
        const v = new BigInt64Array(rows.length);
        const valid = new Uint8Array(Math.ceil(rows.length / 8));
        let nulls = 0;
        for (let i = 0; i < rows.length; i++) {
          const x = rows[i]![k];
          if (x === null) nulls++;
          else (v[i] = BigInt(x as number)), (valid[i >> 3]! |= 1 << (i & 7));
        }
        columns[k] = makeVector({ type: new Int64(), data: v, nullBitmap: nulls ? valid : undefined, nullCount: nulls, length: rows.length });
      } else {
        columns[k] = vectorFromArray(rows.map((r) => r[k] as string | null), new Dictionary(new Utf8(), new Int32()));
      }
    }
    const table = new Table(columns);
    writeFileSync(path, writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), props()));
  };
};
const snappy = new parquet.ParquetSchema(eventSchema('SNAPPY'));
const candidates: [string, Writer][] = [
  ['parquetjs-lite GZIP, PLAIN (before issue 15)', async (rows, path) => void (await parquetjsEncode({ rows, path }))],
  ['parquetjs-lite SNAPPY, PLAIN', async (rows, path) => void (await parquetjsEncode({ rows, path }, snappy))],
  ['DuckDB appender (data chunks) + COPY, ZSTD, dictionary', duckWriter('zstd')],
  ['DuckDB appender (value by value) + COPY, ZSTD, dictionary', duckRowWriter('zstd')],
  ['DuckDB appender (value by value) + COPY, SNAPPY, dictionary', duckRowWriter('snappy')],
  ['apache-arrow + parquet-wasm, SNAPPY, dictionary', arrowWriter(Compression.SNAPPY)],
  ['apache-arrow + parquet-wasm, ZSTD, dictionary', arrowWriter(Compression.ZSTD)],
  ['the pipeline\'s writer fed these row objects (toChunk, then as below)', async (rows, path) => void encode({ rows, path })],
];
for (const [label, write] of candidates) {
  const out = mkdtempSync(join(tmpdir(), 'sluice-writers-'));
  let i = 0;
  const t0 = performance.now();
  for (const rows of parts.values()) await write(rows, join(out, `${i++}.parquet`));
  const s = (performance.now() - t0) / 1000;
  const bytes = du(out);
  console.log(`| ${label} | ${Math.round(n / s).toLocaleString('en')} rows/s | ${(bytes / 1e6).toFixed(1)} MB | ${((100 * bytes) / rawJson).toFixed(1)} % |`);
  rmSync(out, { recursive: true, force: true });
}
{
  const out = mkdtempSync(join(tmpdir(), 'sluice-writers-'));
  let i = 0;
  const t0 = performance.now();
  for (const chunks of chunkParts.values()) encode({ chunks, dict, path: join(out, `${i++}.parquet`) });
  const s = (performance.now() - t0) / 1000;
  const bytes = du(out);
  console.log(`| the pipeline's writer from decode's column chunks, as \`sluice pipeline\` runs it (today; dedupe_key stored only where the row cannot tell it) | ${Math.round(n / s).toLocaleString('en')} rows/s | ${(bytes / 1e6).toFixed(1)} MB | ${((100 * bytes) / rawJson).toFixed(1)} % |`);
  rmSync(out, { recursive: true, force: true });
}
duck.closeSync();
