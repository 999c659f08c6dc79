import { writeFileSync } from 'node:fs';
import type { EventRow } from './row.js';
import type { EnrichDict } from './enricher.js';
import { EVENT_COLUMNS } from './event-schema.js';
import { fileColumns } from './file-columns.js';
import { writeEventsParquet } from './parquet-writer.js';
import { toChunk, type RowChunk } from './row-columns.js';
import { moveWith } from './transfer.js';

export interface EncodeTask {
  /** Rows as objects, enriched already (tests, tools), or columnar chunks with the enrichment dictionary (the stages). */
  rows?: EventRow[];
  chunks?: RowChunk[];
  dict?: EnrichDict;
  /** Where to write the file; without it the bytes come back (moved, not copied, out of the worker). */
  path?: string;
}

export interface EncodeResult {
  rows: number;
  bytes: Uint8Array | null;
}

const STRING_COLUMNS = EVENT_COLUMNS.filter((c) => c.kind === 'dict').map((c) => c.name);

/**
 * Encode stage, in a worker thread: one Parquet file (one row group) from a partition's chunks.
 * The chunks' per-batch dictionaries become one per file, the enrichment columns are derived
 * per distinct id, and apache-arrow + parquet-wasm write the file (parquet-writer.ts).
 */
export default function encode(task: EncodeTask): EncodeResult {
  const chunks = task.rows ? [toChunk('', task.rows, STRING_COLUMNS)] : task.chunks!;
  const bytes = writeEventsParquet(fileColumns(chunks, task.rows ? null : task.dict!));
  const rows = chunks.reduce((n, c) => n + c.n, 0);
  if (task.path !== undefined) {
    writeFileSync(task.path, bytes);
    return { rows, bytes: null };
  }
  return moveWith<EncodeResult>({ rows, bytes }, [bytes.buffer]);
}
