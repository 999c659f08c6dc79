import { decodePayload } from '../common/segment-format.js';
import { frameRows, type EventRow } from './row.js';

export interface DecodeTask {
  segment: string;
  /** Frame payloads (after the 8-byte header) with their offsets in the segment. */
  frames: { offset: number; payload: Uint8Array }[];
}

/** Decode stage, in a worker thread: gunzip, parse, normalise. */
export default function decode(task: DecodeTask): EventRow[] {
  const rows: EventRow[] = [];
  for (const f of task.frames) {
    const frame = decodePayload(Buffer.from(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength));
    for (const r of frameRows(frame, task.segment, f.offset)) rows.push(r);
  }
  return rows;
}
