import { decodePayload } from '../common/segment-format.js';
import { ChunkBuilder } from './chunk-builder.js';
import { frameRowsInto, type EventRow, type QuarantinedRow } from './row.js';
import type { RowChunk } from './row-columns.js';
import { chunkBuffers, moveWith } from './transfer.js';

export interface DecodeTask {
  segment: string;
  /**
   * The batch's frame payloads copied into one buffer of its own: a view into the whole
   * segment would make structured clone copy the entire segment to the worker per task
   * (measured: 8x slower than one thread).
   */
  data: Uint8Array;
  /** Per frame: its offset in the segment, and where its payload sits in `data`. */
  frames: { offset: number; start: number; length: number }[];
}

/**
 * What decode hands on: the batch's rows as one columnar chunk per partition (typed arrays and
 * small dictionaries), and the ids the batch mentions. Row objects cost a structured clone per
 * field each way, and JSON text a stringify here and a parse in encode (the encode stage's
 * largest own cost after the writer); columns cross as a few buffers and distinct strings.
 */
export interface DecodedBatch {
  chunks: RowChunk[];
  apps: string[];
  campaigns: string[];
  creatives: string[];
  /** Events set aside (rare): the writer cannot take them. */
  quarantined: QuarantinedRow[];
  /** Frames whose body cannot be decoded at all (bad gzip or JSON, not an upload), by offset. */
  badFrames: { offset: number; problem: string }[];
}

/** Decode stage, in a worker thread: gunzip, parse, normalise, gather into columns by partition. */
export default function decode(task: DecodeTask): DecodedBatch {
  const out: DecodedBatch = { chunks: [], apps: [], campaigns: [], creatives: [], quarantined: [], badFrames: [] };
  const parts = new Map<string, ChunkBuilder>();
  // Uploads are one device's events, nearly always of one day: the previous row's partition, without a map look-up.
  let last: ChunkBuilder | null = null;
  let lastApp = '';
  let lastDt = '';
  /** The partitions the current frame added rows to, with their rows before it: to take a failed frame's rows back. */
  const touched: [ChunkBuilder, number][] = [];
  const sink = (r: EventRow): void => {
    if (last === null || r.app_id !== lastApp || r.dt !== lastDt) {
      const part = `app_id=${r.app_id}/dt=${r.dt}`;
      last = parts.get(part) ?? null;
      if (last === null) parts.set(part, (last = new ChunkBuilder(part)));
      lastApp = r.app_id;
      lastDt = r.dt;
      touched.push([last, last.n]);
    }
    last.add(r);
  };
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  for (const f of task.frames) {
    const before = out.quarantined.length;
    touched.length = 0;
    const cur = last as ChunkBuilder | null; // set by the sink: TypeScript cannot see it
    if (cur !== null) touched.push([cur, cur.n]);
    try {
      frameRowsInto(decodePayload(data.subarray(f.start, f.start + f.length)), task.segment, f.offset, out.quarantined, sink);
    } catch (err) {
      // One frame that cannot be read never stops the segment: it is quarantined whole (not row by row), its rows so far taken back.
      out.quarantined.length = before;
      for (let k = touched.length - 1; k >= 0; k--) touched[k]![0].truncate(touched[k]![1]);
      out.badFrames.push({ offset: f.offset, problem: (err as Error).message.slice(0, 200) });
      continue;
    }
  }
  const apps = new Set<string>();
  const campaigns = new Set<string>();
  const creatives = new Set<string>();
  for (const b of parts.values()) {
    if (b.n === 0) continue;
    // The ids a batch mentions, from the chunks' dictionaries (not a Set add per row).
    for (const v of b.values('app_id')) if (v) apps.add(v);
    for (const v of b.values('campaign_id')) if (v) campaigns.add(v);
    for (const v of b.values('creative_id')) if (v) creatives.add(v);
    out.chunks.push(b.done());
  }
  out.apps = [...apps];
  out.campaigns = [...campaigns];
  out.creatives = [...creatives];
  return moveWith(out, chunkBuffers(out.chunks));
}
