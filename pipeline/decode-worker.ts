import { decodePayload } from '../common/segment-format.js';
import { frameRows, type EventRow } from './row.js';

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

/** Decode stage, in a worker thread: gunzip, parse, normalise. */
export default function decode(task: DecodeTask): EventRow[] {
  const rows: EventRow[] = [];
  const data = Buffer.from(task.data.buffer, task.data.byteOffset, task.data.byteLength);
  for (const f of task.frames) {
    const frame = decodePayload(data.subarray(f.start, f.start + f.length));
    for (const r of frameRows(frame, task.segment, f.offset)) rows.push(r);
  }
  return rows;
}
