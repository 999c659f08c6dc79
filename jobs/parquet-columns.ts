/**
 * Reads chosen columns of a Parquet file into typed arrays: strings stay as byte ranges of one
 * buffer (hashed or compared in place, made into strings only on demand), integers and times
 * become float64 numbers. parquet-wasm (the Rust `parquet` crate) decodes the pages, so every
 * standard encoding and codec is read: the pipeline's dictionary pages in ZSTD, and the PLAIN
 * GZIP files of older pipelines. arrow-js-ffi copies the columns out of wasm memory as Arrow data: a dictionary column's rows point
 * into its dictionary's bytes, so equal values share a range.
 */
import { DataType, type Data } from 'apache-arrow';
import { parseRecordBatch } from 'arrow-js-ffi';
import { readParquet, wasmMemory, type FFIStream } from 'parquet-wasm/node';
export interface StrColumn {
  kind: 'str';
  data: Buffer;
  /** Byte offset of row i's value in data, or -1 when null. */
  start: Int32Array;
  end: Int32Array;
  /**
   * For a dictionary-encoded column: each row's dictionary entry (-1 when null), and the entries'
   * byte ranges in data. dictionaryIds then looks each entry up once instead of each row.
   */
  dict: { codes: Int32Array; start: ArrayLike<number>; end: ArrayLike<number> } | null;
}

export interface IntColumn {
  kind: 'int';
  values: Float64Array;
  /** 1 where the value is present (all ones for required columns). */
  present: Uint8Array;
}

type Column = StrColumn | IntColumn;

interface ColumnBatch {
  rows: number;
  columns: Map<string, Column>;
}

class ParquetFormatError extends Error {}

/** Buffer's undocumented but stable utf8Slice skips toString's argument checks (2x on short strings). */
type Utf8Sliceable = Buffer & { utf8Slice(start: number, end: number): string };

const TWO32 = 4294967296;

/**
 * One batch per record batch of the file (as many rows as a row group), with the named columns
 * (an absent column is an error) and the `optional` ones the file has (files of older pipelines may lack them).
 */
export function readParquetColumns(buf: Buffer, names: readonly string[], optional: readonly string[] = []): ColumnBatch[] {
  if (buf.length < 12 || buf.toString('latin1', buf.length - 4) !== 'PAR1') throw new ParquetFormatError('not a Parquet file (no PAR1 trailer)');
  let stream: FFIStream;
  try {
    // Batches as large as a file's row group: one batch per file as the pipeline writes them.
    stream = readParquet(buf, { columns: [...names, ...optional], batchSize: 1 << 22 }).intoFFI();
  } catch (err) {
    throw new ParquetFormatError(`cannot read the Parquet file: ${String((err as Error).message ?? err)}`);
  }
  const out: ColumnBatch[] = [];
  try {
    for (let i = 0; i < stream.numArrays(); i++) {
      // Copied out of wasm memory through the Arrow C data interface: half the time of the IPC
      // stream round trip it replaces (120 files: 484 vs 969 ms, decoding included). The memory's
      // buffer is taken after every wasm call, as a call may grow (and so replace) it.
      const batch = parseRecordBatch(wasmMemory().buffer, stream.arrayAddr(i), stream.schemaAddr(), true);
      const columns = new Map<string, Column>();
      for (const name of names) {
        const child = batch.getChild(name);
        if (!child) throw new ParquetFormatError(`column ${name} is not in the file`);
        columns.set(name, toColumn(child.data[0]!, name));
      }
      for (const name of optional) {
        const child = batch.getChild(name);
        if (child) columns.set(name, toColumn(child.data[0]!, name));
      }
      out.push({ rows: batch.numRows, columns });
    }
  } finally {
    stream.free();
  }
  return out;
}

/** The column's validity bitmap, or null when every row is present: read once per column (Arrow's nullCount getter per row was 1.2 s of bench:jobs' 46). */
function nullsOf(d: Data): Uint8Array | null {
  const bm = d.nullBitmap;
  return d.nullCount === 0 || !bm || bm.length === 0 ? null : bm;
}
const isPresent = (bm: Uint8Array | null, k: number): boolean => bm === null || ((bm[k >> 3]! >> (k & 7)) & 1) === 1;

function toColumn(d: Data, name: string): Column {
  const n = d.length;
  const t = d.type;
  if (DataType.isDictionary(t)) {
    // The jobs' one cast, at the Arrow boundary: apache-arrow types a dictionary as a Vector, whose chunks are its Data.
    const dict = (d.dictionary as unknown as { data: Data[] }).data;
    if (dict.length !== 1) throw new ParquetFormatError(`column ${name}: a dictionary in ${dict.length} parts`);
    const text = textBytes(dict[0]!, name);
    const idx = d.values as ArrayLike<number>;
    const bm = nullsOf(d);
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const k = d.offset + i;
      codes[i] = isPresent(bm, k) ? Number(idx[k]) : -1;
    }
    // A row's value is its dictionary entry's bytes: equal values share one range.
    const entries = { start: text.start, end: text.end };
    return { kind: 'str', data: text.data, ...rowRanges(d, (k) => Number(idx[k]), entries.start, entries.end), dict: { codes, ...entries } };
  }
  if (DataType.isUtf8(t) || DataType.isBinary(t)) return textBytes(d, name);
  if (DataType.isInt(t) || DataType.isTimestamp(t)) {
    const values = new Float64Array(n);
    const present = new Uint8Array(n);
    const v = d.values as ArrayLike<number> & { buffer: ArrayBuffer; byteOffset: number };
    const wide = DataType.isTimestamp(t) || (t as { bitWidth: number }).bitWidth === 64;
    // 64-bit values as lo + hi * 2^32 from 32-bit halves: exact for every time and counter we store (|v| < 2^53), and no BigInt per value.
    const halves = wide ? new Int32Array(v.buffer, v.byteOffset, 2 * (d.offset + n)) : null;
    const bm = nullsOf(d);
    for (let i = 0; i < n; i++) {
      const k = d.offset + i;
      if (!isPresent(bm, k)) continue;
      present[i] = 1;
      values[i] = halves ? (halves[2 * k]! >>> 0) + halves[2 * k + 1]! * TWO32 : Number(v[k]);
    }
    if (DataType.isTimestamp(t) && (t as { unit: number }).unit !== 1) throw new ParquetFormatError(`column ${name}: timestamps must be in milliseconds`);
    return { kind: 'int', values, present };
  }
  throw new ParquetFormatError(`column ${name}: type ${String(t)} is not supported (strings, integers, timestamps)`);
}

/** A UTF-8 or binary column as byte ranges of its value buffer. */
function textBytes(d: Data, name: string): StrColumn {
  const offs = d.valueOffsets as Int32Array | undefined;
  if (!offs || !(offs instanceof Int32Array)) throw new ParquetFormatError(`column ${name}: strings with 64-bit offsets are not supported`);
  const vals = d.values as Uint8Array;
  const data = Buffer.from(vals.buffer, vals.byteOffset, vals.byteLength);
  return { kind: 'str', data, ...rowRanges(d, (k) => k, offs, offs.subarray(1)), dict: null };
}

/** Per row, the byte range of its entry `entry(k)` (k the row's slot in the data), or -1 for null rows. */
function rowRanges(d: Data, entry: (k: number) => number, from: ArrayLike<number>, to: ArrayLike<number>): { start: Int32Array; end: Int32Array } {
  const n = d.length;
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  const bm = nullsOf(d);
  for (let i = 0; i < n; i++) {
    if (!isPresent(bm, d.offset + i)) {
      start[i] = end[i] = -1;
      continue;
    }
    const e = entry(d.offset + i);
    start[i] = from[e]!;
    end[i] = to[e]!;
  }
  return { start, end };
}

/** Equal bytes at a and b: a JS loop, since Buffer.compare's call into C++ costs more than short ids take to compare (3.7 s of 52 in bench:jobs' profile). */
function sameBytes(data: Buffer, a: number, b: number, len: number): boolean {
  if (len > 64) return data.compare(data, a, a + len, b, b + len) === 0;
  for (let k = 0; k < len; k++) if (data[a + k] !== data[b + k]) return false;
  return true;
}

/** A string column as small integer ids: equal bytes as the previous row reuse its id (rows of one device batch share their context). */
export function dictionaryIds(col: StrColumn, dict: Map<string, number>, names: string[]): Int32Array {
  const n = col.start.length;
  const ids = new Int32Array(n);
  if (col.dict !== null) {
    // A dictionary column: each entry looked up once, then one array read per row (was a byte compare or a hash per row: 4.2 s of 46).
    const { codes, start: es, end: ee } = col.dict;
    const entryIds = new Int32Array(es.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      if (c < 0) continue; // id 0: '' (null)
      let id = entryIds[c]!;
      if (id < 0) {
        const v = (col.data as Utf8Sliceable).utf8Slice(es[c]!, ee[c]!);
        id = dict.get(v) ?? -1;
        if (id < 0) {
          id = names.length;
          names.push(v);
          dict.set(v, id);
        }
        entryIds[c] = id;
      }
      ids[i] = id;
    }
    return ids;
  }
  const { data, start, end } = col;
  let ps = -2;
  let pe = -2;
  let pid = -1;
  for (let i = 0; i < n; i++) {
    const s = start[i]!;
    const e = end[i]!;
    if (s < 0) {
      ids[i] = 0; // id 0 is always '' (null or empty)
      continue;
    }
    if (ps >= 0 && e - s === pe - ps && sameBytes(data, s, ps, e - s)) {
      ids[i] = pid;
      continue;
    }
    const v = (data as Utf8Sliceable).utf8Slice(s, e);
    let id = dict.get(v);
    if (id === undefined) {
      id = names.length;
      names.push(v);
      dict.set(v, id);
    }
    ids[i] = id;
    ps = s;
    pe = e;
    pid = id;
  }
  return ids;
}

/** A fresh dictionary whose id 0 is ''. */
export function newDictionary(): { dict: Map<string, number>; names: string[] } {
  return { dict: new Map([['', 0]]), names: [''] };
}

/** Row i of a string column as a string, or null. */
export function strAt(col: StrColumn, i: number): string | null {
  const s = col.start[i]!;
  return s < 0 ? null : (col.data as Utf8Sliceable).utf8Slice(s, col.end[i]!);
}

/** The array itself when it holds `need` values, else a copy at least twice as long (amortised growth of per-row columns). */
export function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

const ID_SEP = Buffer.from('\u0000id:');

/**
 * The batch's dedupe keys as a string column: the stored dedupe_key, or for rows that store none
 * (an event with an id, pipeline/row.ts) app_id NUL device_id NUL 'id:' event_id, built as bytes.
 * The batch needs dedupe_key, app_id, device_id and event_id.
 */
export function dedupeKeyColumn(b: ColumnBatch): StrColumn {
  const dk = b.columns.get('dedupe_key') as StrColumn;
  const n = b.rows;
  let size = 0;
  const parts = ['app_id', 'device_id', 'event_id'].map((c) => b.columns.get(c) as StrColumn);
  const [app, dev, ev] = parts as [StrColumn, StrColumn, StrColumn];
  for (let i = 0; i < n; i++) {
    if (dk.start[i]! >= 0) continue;
    if (ev.start[i]! < 0 || app.start[i]! < 0 || dev.start[i]! < 0) throw new ParquetFormatError(`row ${i} has neither a dedupe_key nor an app_id, device_id and event_id`);
    size += app.end[i]! - app.start[i]! + dev.end[i]! - dev.start[i]! + ev.end[i]! - ev.start[i]! + 1 + ID_SEP.length;
  }
  if (size === 0) return dk;
  const data = Buffer.allocUnsafe(dk.data.length + size);
  dk.data.copy(data, 0);
  const start = dk.start.slice();
  const end = dk.end.slice();
  let p = dk.data.length;
  const put = (c: StrColumn, i: number): void => {
    // A byte loop: ids are short, and Buffer.copy's call into C++ costs more than it saves there.
    for (let k = c.start[i]!, e = c.end[i]!; k < e; k++) data[p++] = c.data[k]!;
  };
  for (let i = 0; i < n; i++) {
    if (dk.start[i]! >= 0) continue;
    start[i] = p;
    put(app, i);
    data[p++] = 0;
    put(dev, i);
    for (let k = 0; k < ID_SEP.length; k++) data[p++] = ID_SEP[k]!;
    put(ev, i);
    end[i] = p;
  }
  return { kind: 'str', data, start, end, dict: null };
}
