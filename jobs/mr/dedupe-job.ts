/**
 * `dedupe`: exactly one event per dedupe key (app, device, event id or fingerprint).
 *
 * map: EventRow JSON line -> key = the dedupe key, value = `RECEIVED SEGMENT OFFSET JSON`
 *      (received_at and frame_offset fixed width, the segment escaped: byte order of the
 *      value is the order of the copies, and nothing in it depends on where a line was in
 *      the input).
 * reduce: keeps the copy with the smallest (received_at, segment, frame_offset), ties broken
 *      by the JSON text, so the result does not depend on input order, and writes it as
 *      key = device key (app, device), value = the event's JSON: the device job's input.
 */
import { excerpt, MrError, MrErrorCode } from './errors.js';
import { asciiJson, fixed, keyField, unescapeKeyField } from './encoding.js';
import { deviceKey, parseEventRow } from './event-lines.js';
import type { MrJob } from './mr-job.js';
import { eventKey } from '../../pipeline/row.js';

interface Copy {
  received: number;
  segment: string;
  offset: number;
  json: string;
}

function parseCopy(value: string): Copy {
  const a = value.indexOf(' ');
  const b = value.indexOf(' ', a + 1);
  const c = value.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) throw new MrError(MrErrorCode.BAD_LINE, `dedupe reduce: value ${excerpt(value)} is not 'RECEIVED SEGMENT OFFSET JSON' (is this the dedupe map's output?)`);
  return { received: Number(value.slice(0, a)), segment: unescapeKeyField(value.slice(a + 1, b)), offset: Number(value.slice(b + 1, c)), json: value.slice(c + 1) };
}

/** Negative when copy x comes first. */
function compareCopies(x: Copy, y: Copy): number {
  if (x.received !== y.received) return x.received - y.received;
  if (x.segment !== y.segment) return x.segment < y.segment ? -1 : 1;
  if (x.offset !== y.offset) return x.offset - y.offset;
  return x.json < y.json ? -1 : x.json > y.json ? 1 : 0;
}

export const dedupeJob: MrJob = {
  name: 'dedupe',
  map(line, emit) {
    const row = parseEventRow(line, 'dedupe');
    emit(keyField(eventKey(row)), `${fixed(row.received_at)} ${keyField(row.segment)} ${fixed(row.frame_offset)} ${asciiJson(row)}`);
  },
  reduce(_key, values, emit) {
    let best = parseCopy(values[0]!);
    for (let i = 1; i < values.length; i++) {
      const c = parseCopy(values[i]!);
      if (compareCopies(c, best) < 0) best = c;
    }
    emit(deviceKey(parseEventRow(best.json, 'dedupe')), best.json);
  },
};
