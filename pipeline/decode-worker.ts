import { decodePayload } from '../common/segment-format.js';
import { frameRows, type EventRow, type QuarantinedRow } from './row.js';
import { toChunk, type RowChunk } from './row-columns.js';
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
  const apps = new Set<string>();
  const campaigns = new Set<string>();
  const creatives = new Set<string>();
  const parts = new Map<string, EventRow[]>();
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  for (const f of task.frames) {
    const before = out.quarantined.length;
    let rows;
    try {
      rows = frameRows(decodePayload(data.subarray(f.start, f.start + f.length)), task.segment, f.offset, out.quarantined);
    } catch (err) {
      // One frame that cannot be read never stops the segment: it is quarantined whole (not row by row).
      out.quarantined.length = before;
      out.badFrames.push({ offset: f.offset, problem: (err as Error).message.slice(0, 200) });
      continue;
    }
    for (const r of rows) {
      const part = `app_id=${r.app_id}/dt=${r.dt}`;
      let list = parts.get(part);
      if (!list) parts.set(part, (list = []));
      list.push(r);
      apps.add(r.app_id);
      if (r.campaign_id) campaigns.add(r.campaign_id);
      if (r.creative_id) creatives.add(r.creative_id);
    }
  }
  for (const [part, rows] of parts) out.chunks.push(toChunk(part, rows));
  out.apps = [...apps];
  out.campaigns = [...campaigns];
  out.creatives = [...creatives];
  return moveWith(out, chunkBuffers(out.chunks));
}
