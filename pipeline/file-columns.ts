import { COUNTRY_NAMES, REGION_NAMES, deviceClass, type EnrichDict } from './enricher.js';
import { EVENT_COLUMNS } from './event-schema.js';
import type { FileColumns } from './parquet-writer.js';
import type { RowChunk, TextColumn } from './row-columns.js';

/** A string column of one file: row i's value is names[ids[i]]; id 0 is null. */
export interface FileDict {
  ids: Int32Array;
  names: (string | null)[];
}

/**
 * One string column over a file's chunks, with one dictionary for the file: each chunk's
 * small dictionary is mapped once (a Map look-up per distinct value, not per row), then its
 * ids are renumbered through an Int32Array.
 */
function unifyColumn(chunks: readonly RowChunk[], name: string, n: number): FileDict {
  const ids = new Int32Array(n);
  const names: (string | null)[] = [null];
  const seen = new Map<string, number>();
  let at = 0;
  for (const ch of chunks) {
    const col = ch.str[name];
    if (col === undefined) throw new Error(`chunk of ${ch.part} has no column ${name}`);
    const remap = new Int32Array(col.dict.length);
    for (let d = 1; d < col.dict.length; d++) {
      const v = col.dict[d]!;
      let id = seen.get(v);
      if (id === undefined) {
        id = names.push(v) - 1;
        seen.set(v, id);
      }
      remap[d] = id;
    }
    const src = col.ids;
    for (let i = 0; i < ch.n; i++) ids[at + i] = remap[src[i]!]!;
    at += ch.n;
  }
  return { ids, names };
}

/** A column derived value by value from another (country -> its name): the function runs once per distinct value. */
function derive1(src: FileDict, f: (v: string | null) => string | null): FileDict {
  const out: (string | null)[] = [null];
  const seen = new Map<string, number>();
  const map = new Int32Array(src.names.length);
  for (let d = 0; d < src.names.length; d++) {
    const v = f(src.names[d]!);
    if (v === null) continue;
    let id = seen.get(v);
    if (id === undefined) seen.set(v, (id = out.push(v) - 1));
    map[d] = id;
  }
  const ids = new Int32Array(src.ids.length);
  for (let i = 0; i < ids.length; i++) ids[i] = map[src.ids[i]!]!;
  return { ids, names: out };
}

/** A column derived from a pair of columns (country and region -> region name): the function runs once per distinct pair. */
function derive2(a: FileDict, b: FileDict, f: (x: string | null, y: string | null) => string | null): FileDict {
  const out: (string | null)[] = [null];
  const seen = new Map<string, number>();
  const pairs = new Map<number, number>();
  const ids = new Int32Array(a.ids.length);
  const width = b.names.length;
  for (let i = 0; i < ids.length; i++) {
    const x = a.ids[i]!;
    const y = b.ids[i]!;
    const k = x * width + y;
    let id = pairs.get(k);
    if (id === undefined) {
      const v = f(a.names[x]!, b.names[y]!);
      id = v === null ? 0 : (seen.get(v) ?? (seen.set(v, out.length), out.push(v) - 1));
      pairs.set(k, id);
    }
    ids[i] = id;
  }
  return { ids, names: out };
}

const FLAG_NAMES = ['unknown_app', 'unknown_creative', 'unknown_campaign'];

/**
 * The enrichment columns of a file from its unified id columns and what the store said of the
 * ids (the columnar form of applyEnrichment, with the same rules): app -> name and publisher,
 * campaign -> advertiser and name, creative -> line item where the event named none, model ->
 * device class, country and region -> names, and the unknown_* flags.
 */
function enrichColumns(col: (name: string) => FileDict, d: EnrichDict): Record<string, FileDict> {
  const app = col('app_id');
  const campaign = col('campaign_id');
  const creative = col('creative_id');
  const country = col('country');
  const out: Record<string, FileDict> = {
    app_name: derive1(app, (v) => (v === null ? null : (d.apps[v]?.name ?? null))),
    publisher_id: derive1(app, (v) => (v === null ? null : (d.apps[v]?.publisher_id ?? null))),
    advertiser_id: derive1(campaign, (v) => (v === null ? null : (d.campaigns[v]?.advertiser_id ?? null))),
    campaign_name: derive1(campaign, (v) => (v === null ? null : (d.campaigns[v]?.name ?? null))),
    line_item_id: derive2(col('line_item_id'), creative, (li, cr) => li ?? (cr === null ? null : (d.creatives[cr]?.line_item_id ?? null))),
    device_class: derive1(col('device_model'), deviceClass),
    country_name: derive1(country, (v) => (v ? (COUNTRY_NAMES[v] ?? v) : null)),
    region_name: derive2(country, col('region'), (c, r) => (r ? ((c ? REGION_NAMES[c]?.[r] : undefined) ?? r) : null)),
  };
  // flags: a bit per unknown id kind, then one of 8 names.
  const bits = (src: FileDict, bit: number, known: (v: string) => boolean): Uint8Array => {
    const b = new Uint8Array(src.names.length);
    for (let k = 1; k < src.names.length; k++) if (!known(src.names[k]!)) b[k] = bit;
    return b;
  };
  const appBits = bits(app, 1, (v) => Boolean(d.apps[v]));
  appBits[0] = 1; // no app at all is unknown too
  const crBits = bits(creative, 2, (v) => Boolean(d.creatives[v]));
  const cmpBits = bits(campaign, 4, (v) => Boolean(d.campaigns[v]));
  const names: (string | null)[] = [null];
  for (let code = 1; code < 8; code++) names.push(FLAG_NAMES.filter((_, k) => code & (1 << k)).join(','));
  const ids = new Int32Array(app.ids.length);
  for (let i = 0; i < ids.length; i++) ids[i] = appBits[app.ids[i]!]! | crBits[creative.ids[i]!]! | cmpBits[campaign.ids[i]!]!;
  out.flags = { ids, names };
  return out;
}

/**
 * A file's columns from its chunks. With `enrich`, the enrichment columns are derived from the
 * chunks' ids and what the store said (the stages); without, every column comes from the chunks
 * (rows that were enriched already).
 */
export function fileColumns(chunks: readonly RowChunk[], enrich: EnrichDict | null): FileColumns {
  let n = 0;
  for (const ch of chunks) n += ch.n;
  const out: FileColumns = { n, dict: {}, text: {}, int: {} };
  const dict = (name: string): FileDict => (out.dict[name] ??= unifyColumn(chunks, name, n));
  for (const c of EVENT_COLUMNS) {
    if (c.kind === 'int' || c.kind === 'time') {
      const v = new Float64Array(n);
      let at = 0;
      for (const ch of chunks) {
        const src = ch.int[c.name];
        if (src === undefined) throw new Error(`chunk of ${ch.part} has no column ${c.name}`);
        v.set(src.subarray(0, ch.n), at);
        at += ch.n;
      }
      out.int[c.name] = v;
    } else if (c.kind === 'text') {
      out.text[c.name] = concatText(chunks, c.name, n);
    } else if (enrich === null || c.name in (chunks[0]?.str ?? {})) dict(c.name);
  }
  if (enrich !== null) Object.assign(out.dict, enrichColumns(dict, enrich));
  return out;
}

/** A text column over a file's chunks: their UTF-8 bytes one after the other, offsets shifted. */
function concatText(chunks: readonly RowChunk[], name: string, n: number): TextColumn {
  let size = 0;
  for (const ch of chunks) size += ch.text[name]!.bytes.length;
  const bytes = new Uint8Array(size);
  const offsets = new Int32Array(n + 1);
  const valid = new Uint8Array(n);
  let at = 0;
  let base = 0;
  for (const ch of chunks) {
    const t = ch.text[name];
    if (t === undefined) throw new Error(`chunk of ${ch.part} has no column ${name}`);
    bytes.set(t.bytes, base);
    valid.set(t.valid, at);
    for (let i = 1; i <= ch.n; i++) offsets[at + i] = base + t.offsets[i]!;
    at += ch.n;
    base += t.bytes.length;
  }
  return { bytes, offsets, valid };
}
