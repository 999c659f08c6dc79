import parquet, { type ParquetSchema } from 'parquetjs-lite';
import { toPrimitive } from 'parquetjs-lite/lib/types.js';
/** The parquetjs-lite writer the pipeline used before its columnar writer (pipeline/parquet-writer.ts), kept for bench:parquet-writers' side-by-side table. */
import type { EventRow } from '../pipeline/row.js';
import { applyEnrichment, type EnrichDict } from '../pipeline/enricher.js';
import { chunkRows, type RowChunk } from '../pipeline/row-columns.js';

const COMPRESSION = process.env.SLUICE_PARQUET_COMPRESSION ?? 'GZIP';

/** The Parquet schema of enriched events with pages compressed by `compression` (GZIP: readable by DuckDB, Spark, pyarrow). */
export const eventSchema = (compression: string) => {
  const S = (optional = true) => ({ type: 'UTF8', optional, compression });
  const I = (optional = true) => ({ type: 'INT64', optional, compression });
  return {
    dedupe_key: S(false), event_id: S(), app_id: S(false), device_id: S(false), seq: I(), type: S(false), ts: I(false), sent_at: I(),
    received_at: I(false), event_time: I(false), dt: S(false), platform: S(), os_version: S(), app_version: S(), device_model: S(),
    device_class: S(), screen: S(), country: S(), country_name: S(), region: S(), region_name: S(), locale: S(), slot_id: S(), campaign_id: S(),
    creative_id: S(), line_item_id: S(), advertiser_id: S(), campaign_name: S(), publisher_id: S(), app_name: S(), name: S(),
    props: S(), extra: S(), source: S(false), segment: S(false), frame_offset: I(false), flags: S(),
  };
};
export const EVENT_SCHEMA = eventSchema(COMPRESSION);

export interface EncodeTask {
  /** Rows as objects (the one-thread path), or as columnar chunks with the enrichment dictionary (the stages). */
  rows?: EventRow[];
  chunks?: RowChunk[];
  dict?: EnrichDict;
  path: string;
}

const defaultSchema = new parquet.ParquetSchema(EVENT_SCHEMA);

/**
 * Encode stage, in a worker thread: rows to one Parquet file (one row group) on local disk.
 * The columns are filled directly in the layout parquetjs-lite's shredder makes, which for a
 * flat schema is trivial: its per-row shredding (objects and a Set per field per row) ran at
 * 7k rows/s; the encoding, statistics, compression and footer are still parquetjs-lite's own.
 */
export async function parquetjsEncode(task: EncodeTask, schema: ParquetSchema = defaultSchema): Promise<{ path: string; rows: number }> {
  let rows = task.rows;
  if (!rows) {
    rows = [];
    for (const c of task.chunks!) chunkRows(c, rows);
    for (const r of rows) applyEnrichment(r, task.dict!);
  }
  const n = rows.length;
  const writer = await parquet.ParquetWriter.openFile(schema, task.path, { rowGroupSize: n + 1, pageSize: n + 1 });
  const columnData: Record<string, unknown> = {};
  const pages: Record<string, unknown[]> = {};
  for (const field of schema.fieldList) {
    const type = field.originalType ?? field.primitiveType;
    const utf8 = type === 'UTF8';
    const int64 = type === 'INT64';
    const dlevels = new Array<number>(n);
    const values: unknown[] = [];
    const distinct = new Set<unknown>();
    for (let i = 0; i < n; i++) {
      const v = (rows[i] as unknown as Record<string, unknown>)[field.name];
      if (v === null || v === undefined) {
        dlevels[i] = 0;
      } else {
        dlevels[i] = field.dLevelMax;
        distinct.add(v);
        // Strings go in as they are: the PLAIN encoder makes a Buffer of each value itself (toPrimitive's Buffer was copied again there).
        // A safe integer is what toPrimitive (parseInt of its text) would give back; anything else still goes through it.
        values.push(utf8 || (int64 && Number.isSafeInteger(v)) ? v : toPrimitive(type, v));
      }
    }
    columnData[field.path.join(',')] = { dlevels, rlevels: new Array<number>(n).fill(0), values, distinct_values: distinct, count: n };
    pages[field.path.join(',')] = [];
  }
  writer.rowBuffer = { rowCount: n, pageRowCount: n, columnData, pages };
  await writer.close();
  return { path: task.path, rows: n };
}
