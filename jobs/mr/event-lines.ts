/** EventRow JSON lines, as `sluice mr cat` prints them and the dedupe and device jobs read them. */
import type { EventRow } from '../../pipeline/row.js';
import { excerpt, MrError, MrErrorCode } from './errors.js';
import { makeKey } from './encoding.js';

const STRINGS = ['dedupe_key', 'app_id', 'device_id', 'type', 'segment'] as const;
const NUMBERS = ['received_at', 'event_time', 'frame_offset'] as const;

/** Parses one EventRow line, checking the fields the jobs rely on. */
export function parseEventRow(line: string, job: string): EventRow {
  let row: EventRow;
  try {
    row = JSON.parse(line) as EventRow;
  } catch (err) {
    throw new MrError(MrErrorCode.BAD_LINE, `job ${job}: input line ${excerpt(line)} is not JSON (${(err as Error).message})`);
  }
  const bad = (why: string) => new MrError(MrErrorCode.BAD_LINE, `job ${job}: input line ${excerpt(line)} is not an EventRow: ${why}`);
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw bad('not an object');
  for (const k of STRINGS) if (typeof row[k] !== 'string') throw bad(`${k} is not a string`);
  for (const k of NUMBERS) if (!Number.isSafeInteger(row[k])) throw bad(`${k} is not an integer`);
  if (row.seq !== null && row.seq !== undefined && !Number.isSafeInteger(row.seq)) throw bad('seq is neither null nor an integer');
  return row;
}

/** The key of one device of one app: what the device job groups by. */
export function deviceKey(row: Pick<EventRow, 'app_id' | 'device_id'>): string {
  return makeKey(row.app_id, row.device_id);
}
