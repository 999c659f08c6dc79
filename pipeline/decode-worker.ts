import { decodePayload } from '../common/segment-format.js';
import { frameRows, type QuarantinedRow } from './row.js';

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
 * What decode hands on: each row as JSON text with its partition, and the ids the batch
 * mentions. Strings cross threads as plain copies; row objects cost a structured clone per
 * field each way, which ate what the worker threads saved (measured: stages no faster than
 * one thread).
 */
export interface DecodedBatch {
  parts: string[];
  rows: string[];
  apps: string[];
  campaigns: string[];
  creatives: string[];
  /** Events set aside (rare): the writer cannot take them. */
  quarantined: QuarantinedRow[];
  /** Frames whose body cannot be decoded at all (bad gzip or JSON, not an upload), by offset. */
  badFrames: { offset: number; problem: string }[];
}

/** Decode stage, in a worker thread: gunzip, parse, normalise, serialise. */
export default function decode(task: DecodeTask): DecodedBatch {
  const out: DecodedBatch = { parts: [], rows: [], apps: [], campaigns: [], creatives: [], quarantined: [], badFrames: [] };
  const apps = new Set<string>();
  const campaigns = new Set<string>();
  const creatives = new Set<string>();
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
      out.parts.push(`app_id=${r.app_id}/dt=${r.dt}`);
      out.rows.push(JSON.stringify(r));
      apps.add(r.app_id);
      if (r.campaign_id) campaigns.add(r.campaign_id);
      if (r.creative_id) creatives.add(r.creative_id);
    }
  }
  out.apps = [...apps];
  out.campaigns = [...campaigns];
  out.creatives = [...creatives];
  return out;
}
