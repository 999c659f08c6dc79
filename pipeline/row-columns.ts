import type { EventRow } from './row.js';
import { ChunkBuilder } from './chunk-builder.js';

/** A string column: row i's value is dict[ids[i]]; id 0 is null. Few distinct values (app, platform, os, country, model, type, name...) cross threads once a chunk. */
export interface StrColumn {
  ids: Int32Array;
  dict: (string | null)[];
}

/** An integer column (timestamps, seq, offsets: all below 2^53): NaN is null. */
export type IntColumn = Float64Array;

/**
 * A column of (nearly) unique strings (dedupe keys, event ids) as UTF-8: row i is
 * bytes[offsets[i], offsets[i+1]), null where valid[i] is 0. Strings in an array would be
 * cloned one by one each time they cross a thread; these are three buffers that move.
 */
export interface TextColumn {
  bytes: Uint8Array;
  offsets: Int32Array;
  valid: Uint8Array;
}

/** Rows of one lake partition as columns, the way rows cross from decode to encode (no JSON text, no row objects). */
export interface RowChunk {
  part: string;
  n: number;
  str: Record<string, StrColumn>;
  text: Record<string, TextColumn>;
  int: Record<string, IntColumn>;
}

/** The string columns decode fills with dictionaries (ChunkBuilder lays them out, with dedupe_key and event_id as UTF-8 and the integers); the enrichment ones are filled by encode. */
const STR_COLUMNS = ['app_id', 'device_id', 'type', 'dt', 'platform', 'os_version', 'app_version', 'device_model', 'screen', 'country', 'region', 'locale', 'slot_id', 'campaign_id', 'creative_id', 'line_item_id', 'name', 'props', 'extra', 'source', 'segment'] as const;

/** Rows of one partition into a chunk: STR_COLUMNS (and the other string columns named) dictionary-encoded, ids and keys as UTF-8. */
export function toChunk(part: string, rows: readonly EventRow[], columns: readonly (keyof EventRow)[] = STR_COLUMNS): RowChunk {
  const fixed = new Set<string>(STR_COLUMNS);
  const b = new ChunkBuilder(part, columns.filter((c) => !fixed.has(c)));
  for (const r of rows) b.add(r);
  return b.done();
}

/** Rows [from, to) of a chunk: copies (a view would take its whole buffer across threads), the dictionaries shared. */
export function sliceChunk(c: RowChunk, from: number, to: number): RowChunk {
  const str: Record<string, StrColumn> = {};
  const int: Record<string, IntColumn> = {};
  for (const k in c.str) str[k] = { ids: c.str[k]!.ids.slice(from, to), dict: c.str[k]!.dict };
  for (const k in c.int) int[k] = c.int[k]!.slice(from, to);
  const text: Record<string, TextColumn> = {};
  for (const k in c.text) {
    const t = c.text[k]!;
    const base = t.offsets[from]!;
    const offsets = t.offsets.slice(from, to + 1);
    for (let i = 0; i < offsets.length; i++) offsets[i]! -= base;
    text[k] = { bytes: t.bytes.slice(base, t.offsets[to]), offsets, valid: t.valid.slice(from, to) };
  }
  return { part: c.part, n: to - from, str, text, int };
}

/** A chunk's rows as objects again (enrichment columns null), for the Parquet writer. */
export function chunkRows(c: RowChunk, out: EventRow[] = []): EventRow[] {
  const s = c.str;
  const x = c.int;
  const S = (k: string, i: number): string | null => {
    const t = c.text[k];
    if (t === undefined) return s[k]!.dict[s[k]!.ids[i]!]!;
    return t.valid[i] ? Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength).toString('utf8', t.offsets[i], t.offsets[i + 1]) : null;
  };
  const I = (k: string, i: number): number | null => {
    const v = x[k]![i]!;
    return v === v ? v : null; // NaN is null
  };
  for (let i = 0; i < c.n; i++) {
    out.push({
      dedupe_key: S('dedupe_key', i)!, event_id: S('event_id', i), app_id: S('app_id', i)!, device_id: S('device_id', i)!, seq: I('seq', i), type: S('type', i)!,
      ts: I('ts', i)!, sent_at: I('sent_at', i), received_at: I('received_at', i)!, event_time: I('event_time', i)!, dt: S('dt', i)!,
      platform: S('platform', i), os_version: S('os_version', i), app_version: S('app_version', i), device_model: S('device_model', i), device_class: null,
      screen: S('screen', i), country: S('country', i), country_name: null, region: S('region', i), region_name: null, locale: S('locale', i),
      slot_id: S('slot_id', i), campaign_id: S('campaign_id', i), creative_id: S('creative_id', i), line_item_id: S('line_item_id', i),
      advertiser_id: null, campaign_name: null, publisher_id: null, app_name: null, name: S('name', i), props: S('props', i), extra: S('extra', i),
      source: S('source', i)!, segment: S('segment', i)!, frame_offset: I('frame_offset', i)!, flags: null,
    });
  }
  return out;
}
