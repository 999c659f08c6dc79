/**
 * Event columns to Parquet with apache-arrow and parquet-wasm (the Rust `parquet` crate):
 * strings of few values as Arrow dictionary vectors (Parquet dictionary pages, RLE ids), unique
 * strings as plain UTF-8, integers as INT64 and times as TIMESTAMP(MILLIS, UTC), pages in ZSTD.
 * Chosen by measuring it against parquetjs-lite and DuckDB's appender in one run
 * (bench/parquet-writers.bench.ts; the table is in the README).
 */
import { Dictionary, Field, Int32, Int64, makeData, makeVector, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8, type Vector, tableToIPC } from 'apache-arrow';
import { Compression, EnabledStatistics, Encoding, Table as WasmTable, WriterPropertiesBuilder, writeParquet, type WriterProperties } from 'parquet-wasm/node';
import { EVENT_COLUMNS } from './event-schema.js';
import type { FileDict } from './file-columns.js';
import type { TextColumn } from './row-columns.js';

/** The file's columns, by name: dictionary strings as ids and names, unique strings as values, numbers with NaN for null. */
export interface FileColumns {
  n: number;
  dict: Record<string, FileDict>;
  text: Record<string, TextColumn>;
  int: Record<string, Float64Array>;
}

const TWO32 = 4294967296;

/** A validity bitmap (1 = present) from a predicate, or null when every row is present. */
function validity(n: number, isNull: (i: number) => boolean): { bitmap: Uint8Array | null; nulls: number } {
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isNull(i)) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap: nulls === 0 ? null : bitmap, nulls };
}

function dictVector(col: FileDict): Vector {
  const n = col.ids.length;
  const ids = col.ids;
  const { bitmap, nulls } = validity(n, (i) => ids[i] === 0);
  // Index 0 (null) holds '' in the dictionary; no present row points at it.
  const dictionary = namesVector(col.names);
  return makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: n, nullCount: nulls, nullBitmap: bitmap, data: ids, dictionary }));
}

/** A dictionary's values (few) as a UTF-8 vector. */
function namesVector(names: (string | null)[]): Vector {
  const offsets = new Int32Array(names.length + 1);
  const parts = names.map((v) => Buffer.from(v ?? '', 'utf8'));
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = offsets[i]! + parts[i]!.length;
  return makeVector(makeData({ type: new Utf8(), length: names.length, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(parts) }));
}

/** A text column's UTF-8 bytes and offsets are an Arrow UTF-8 vector as they are. */
function textVector(t: TextColumn): Vector {
  const n = t.valid.length;
  const { bitmap, nulls } = validity(n, (i) => t.valid[i] === 0);
  return makeVector(makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets: t.offsets, data: t.bytes }));
}

/** Integers (safe, as the pipeline makes them) as INT64 written as two 32-bit halves: BigInt(x) per value cost 3x more. */
function intVector(values: Float64Array, time: boolean): Vector {
  const n = values.length;
  const halves = new Int32Array(2 * n);
  const { bitmap, nulls } = validity(n, (i) => values[i] !== values[i]);
  for (let i = 0; i < n; i++) {
    let v = values[i]!;
    if (v !== v) continue;
    if (!Number.isSafeInteger(v)) v = Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Math.trunc(v)));
    const hi = Math.floor(v / TWO32);
    halves[2 * i] = (v - hi * TWO32) | 0;
    halves[2 * i + 1] = hi;
  }
  const data = new BigInt64Array(halves.buffer);
  const common = { length: n, nullCount: nulls, nullBitmap: bitmap, data };
  return time ? makeVector(makeData({ type: new TimestampMillisecond('UTC'), ...common })) : makeVector(makeData({ type: new Int64(), ...common }));
}

/**
 * One row group per file (files hold at most --max-rows-per-file rows); no dictionary for the
 * unique columns (it would be dropped at its size limit anyway, after the work). Built per file:
 * writeParquet takes the wasm object over.
 */
function writerProperties(): WriterProperties {
  let b = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).setDictionaryEnabled(true).setMaxRowGroupSize(1 << 22).setCreatedBy('sluice pipeline');
  for (const c of EVENT_COLUMNS) {
    // Min and max of ids, keys and JSON help no reader skip anything, and cost a share of the writing.
    if (c.kind === 'text' || c.name === 'device_id' || c.name === 'props' || c.name === 'extra') b = b.setColumnStatisticsEnabled(c.name, EnabledStatistics.None);
    if (c.kind === 'text') b = b.setColumnDictionaryEnabled(c.name, false);
    // Integers and times as deltas, bit-packed: rows of one upload are close in time and seq (6% fewer bytes than dictionary or PLAIN, and faster; bench/parquet-writers).
    else if (c.kind === 'int' || c.kind === 'time') b = b.setColumnDictionaryEnabled(c.name, false).setColumnEncoding(c.name, Encoding.DELTA_BINARY_PACKED);
  }
  return b.build();
}

/** The file's columns as an Arrow table in file order. A column missing from `cols` is an error (every file has every column). */
function eventsTable(cols: FileColumns): Table {
  const vectors: Record<string, Vector> = {};
  for (const c of EVENT_COLUMNS) {
    if (c.kind === 'int' || c.kind === 'time') {
      const v = cols.int[c.name];
      if (!v) throw new Error(`no values for column ${c.name}`);
      vectors[c.name] = intVector(v, c.kind === 'time');
    } else if (cols.dict[c.name]) vectors[c.name] = dictVector(cols.dict[c.name]!);
    else if (cols.text[c.name]) vectors[c.name] = textVector(cols.text[c.name]!);
    else throw new Error(`no values for column ${c.name}`);
  }
  // Required columns are REQUIRED in the Parquet schema, as before.
  const fields = EVENT_COLUMNS.map((c) => new Field(c.name, vectors[c.name]!.type, !c.required));
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length: cols.n, nullCount: 0, children: EVENT_COLUMNS.map((c) => vectors[c.name]!.data[0]!) });
  return new Table(schema, new RecordBatch(schema, data));
}

/** The file's bytes. */
export function writeEventsParquet(cols: FileColumns, props: WriterProperties = writerProperties()): Uint8Array {
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(eventsTable(cols), 'stream')), props);
}
