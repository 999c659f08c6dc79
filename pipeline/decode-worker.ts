import { decodePayload } from '../common/segment-format.js';
import { frameRows } from './row.js';

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
}

/** Decode stage, in a worker thread: gunzip, parse, normalise, serialise. */
export default function decode(task: DecodeTask): DecodedBatch {
  const out: DecodedBatch = { parts: [], rows: [], apps: [], campaigns: [], creatives: [] };
  const apps = new Set<string>();
  const campaigns = new Set<string>();
  const creatives = new Set<string>();
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  for (const f of task.frames) {
    const frame = decodePayload(data.subarray(f.start, f.start + f.length));
    for (const r of frameRows(frame, task.segment, f.offset)) {
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
