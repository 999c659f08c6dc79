/**
 * Walks devices' session days again from the lake (device-sessions.ts): for new events that
 * landed among a device's known ones, over the span they can change; or, for a state whose
 * session days were made with another timeout or not at all, every device over every day.
 */
import { closedSession, sessionType } from '../common/sessions.js';
import { DAY_MS, parseUtcDay } from '../common/time.js';
import type { Lake } from '../lake/lake.js';
import { lastEvent, walkDays, type DeviceEvents, type SessionDays } from './device-sessions.js';
import { JobError } from './errors.js';
import { dictionaryIds, newDictionary, readParquetColumns, type IntColumn, type StrColumn } from './parquet-columns.js';

const COLUMNS = ['device_id', 'seq', 'type', 'event_time'];
const DT = /\/dt=(\d{4}-\d{2}-\d{2})\//;

/** The UTC day number of a lake event file, from its dt= partition. */
export const fileDay = (key: string): number => Math.floor(parseUtcDay(DT.exec(key)?.[1] ?? '') / DAY_MS);

interface Walked {
  /** Session days of the span walked. */
  d: number[];
  /** The last event walked. */
  last: SessionDays['t'];
}

/**
 * Reads the files given (the days some device needs; rows the dedupe dropped left out), groups the
 * rows of those devices in device order, and walks each from a closed state over its span.
 * `spans`: device -> [first day, last day] (UTC day numbers), or null for every device and day.
 */
export async function rewalk(lake: Lake, files: readonly { key: string; drops: Uint32Array | null }[], spans: Map<string, [number, number]> | null, timeoutMs: number): Promise<Map<string, Walked>> {
  const devDict = newDictionary();
  const typeDict = newDictionary();
  const srcDict = newDictionary();
  const rows = new Map<number, { seq: number[]; time: number[]; type: string[] }>();
  for (const f of [...files].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const day = fileDay(f.key);
    let fileRow = 0;
    let dropAt = 0;
    for (const b of readParquetColumns(await lake.get(f.key), COLUMNS, ['source'])) {
      const devIds = dictionaryIds(b.columns.get('device_id') as StrColumn, devDict.dict, devDict.names);
      const typeIds = dictionaryIds(b.columns.get('type') as StrColumn, typeDict.dict, typeDict.names);
      // Types as the session rules see them (Segment-spec SDKs' events and ad beacons: sessionType).
      const src = b.columns.get('source') as StrColumn | undefined;
      const srcIds = src ? dictionaryIds(src, srcDict.dict, srcDict.names) : null;
      const sq = b.columns.get('seq') as IntColumn;
      const et = b.columns.get('event_time') as IntColumn;
      for (let i = 0; i < b.rows; i++, fileRow++) {
        if (f.drops !== null && dropAt < f.drops.length && f.drops[dropAt] === fileRow) {
          dropAt++;
          continue;
        }
        const span = spans?.get(devDict.names[devIds[i]!]!);
        if (spans !== null && (span === undefined || day < span[0] || day > span[1])) continue;
        let r = rows.get(devIds[i]!);
        if (!r) rows.set(devIds[i]!, (r = { seq: [], time: [], type: [] }));
        r.seq.push(sq.present[i] ? sq.values[i]! : Number.NaN);
        r.time.push(et.values[i]!);
        const typeName = typeDict.names[typeIds[i]!]!;
        r.type.push(srcIds === null ? typeName : sessionType(typeName, srcDict.names[srcIds[i]!]!));
      }
    }
    if (f.drops !== null && dropAt !== f.drops.length) throw new JobError('JOB_ERR_STATE_CORRUPT', `${f.key}: its drop list names rows past the end of the file`);
  }
  const out = new Map<string, Walked>();
  for (const [id, r] of rows) {
    // The aggregation's order: seq where both have one and they differ, else event time; ties keep file order.
    const order = r.time.map((_, i) => i);
    order.sort((a, b) => {
      const [sa, sb] = [r.seq[a]!, r.seq[b]!];
      return sa === sb || Number.isNaN(sa) || Number.isNaN(sb) ? r.time[a]! - r.time[b]! : sa - sb;
    });
    const ev: DeviceEvents = { seq: order.map((i) => r.seq[i]!), time: order.map((i) => r.time[i]!), type: order.map((i) => r.type[i]!) };
    const d: number[] = [];
    walkDays(closedSession(), ev, 0, ev.time.length, timeoutMs, d);
    out.set(devDict.names[id]!, { d, last: lastEvent(ev) });
  }
  return out;
}
