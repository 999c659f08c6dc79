/**
 * `device`: one device's events in, its partial aggregate rows out.
 *
 * map: a dedupe output line (or a bare EventRow JSON line) -> key = device key (app,
 *      device), value = the event's JSON.
 * reduce: the device's events in (seq, event_time) order (event_time where either seq is
 *      null, as the batch job orders them; the dedupe key breaks ties), sessionized with the
 *      rules of common/sessions.ts (30 s timeout). Emits
 *      - `app_hourly APP HOUR PLATFORM OS APP_VERSION COUNTRY DEVICE_CLASS` -> an AppHourlyRow
 *        of this device alone: events by type, sessions and session_ms (a session counts in
 *        the hour of its start, with the dimensions of its first event), devices = 1;
 *      - `seq_gaps APP DAY PLATFORM` -> { seq_gaps }: the seqs missing between consecutive
 *        seqs of the device, counted on the UTC day (and platform) of the event after the hole.
 * Each device is in exactly one reduce call, so the hourly job can add devices up exactly.
 */
import { sessionizeInto, sessionType, DEFAULT_SESSION_TIMEOUT_MS } from '../../common/sessions.js';
import { HOUR_MS, utcDay } from '../../common/time.js';
import { eventKey, type EventRow } from '../../pipeline/row.js';
import { EVENT_TYPE_COLUMNS, type AppHourlyRow } from '../../store/facts.js';
import { asciiJson, fixed, makeKey, splitLine } from './encoding.js';
import { deviceKey, parseEventRow } from './event-lines.js';
import type { MrJob } from './mr-job.js';

/** Seq gaps of one app, day and platform. */
export interface SeqGapRow {
  app_id: string;
  day: string;
  platform: string;
  seq_gaps: number;
}

/** Record kinds: the first field of the device job's keys. */
export const HOURLY_KIND = 'app_hourly';
export const GAPS_KIND = 'seq_gaps';

const TYPES = new Set<string>(EVENT_TYPE_COLUMNS);

/** (seq, event_time) where both seqs are known, else event_time; then the dedupe key. */
function inDeviceOrder(a: EventRow, b: EventRow): number {
  const sa = a.seq ?? null;
  const sb = b.seq ?? null;
  const d = sa !== null && sb !== null && sa !== sb ? sa - sb : a.event_time - b.event_time;
  if (d !== 0) return d;
  const [ka, kb] = [eventKey(a), eventKey(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function emptyHourlyRow(app_id: string, hour: number, dims: readonly string[]): AppHourlyRow {
  const [platform, os_version, app_version, country, device_class] = dims as [string, string, string, string, string];
  return {
    app_id, hour, day: utcDay(hour), platform, os_version, app_version, country, device_class, devices: 0,
    events: 0, app_open: 0, app_close: 0, app_background: 0, app_foreground: 0, ad_request: 0, ad_impression: 0, ad_click: 0, ad_interaction: 0, custom: 0,
    sessions: 0, session_ms: 0,
  };
}

export const deviceJob: MrJob = {
  name: 'device',
  map(line, emit) {
    const [, value] = splitLine(line);
    const row = parseEventRow(line.includes('\t') ? value : line, 'device');
    emit(deviceKey(row), asciiJson(row));
  },
  reduce(_key, values, emit) {
    // Canonical order first, so that even ties the order leaves open come out the same.
    const rows = [...values].sort().map((v) => parseEventRow(v, 'device'));
    rows.sort(inDeviceOrder);
    const app = rows[0]!.app_id;
    const cells = new Map<string, AppHourlyRow>();
    const cellOf: AppHourlyRow[] = [];
    for (const r of rows) {
      const hour = Math.floor(r.event_time / HOUR_MS) * HOUR_MS;
      const dims = [r.platform ?? '', r.os_version ?? '', r.app_version ?? '', r.country ?? '', r.device_class ?? ''];
      const key = makeKey(HOURLY_KIND, app, fixed(hour), ...dims);
      let c = cells.get(key);
      if (c === undefined) {
        cells.set(key, (c = emptyHourlyRow(app, hour, dims)));
        c.devices = 1;
      }
      c.events++;
      if (TYPES.has(r.type)) c[r.type as (typeof EVENT_TYPE_COLUMNS)[number]]++;
      cellOf.push(c);
    }
    const sessions: number[] = [];
    // Segment-spec SDKs' events follow activity (sessionType), as in the in-process jobs.
    sessionizeInto(rows.map((r) => sessionType(r.type, r.source ?? '')), rows.map((r) => r.event_time), 0, rows.length, DEFAULT_SESSION_TIMEOUT_MS, sessions);
    for (let i = 0; i < sessions.length; i += 4) {
      const c = cellOf[sessions[i]!]!;
      c.sessions++;
      c.session_ms += sessions[i + 2]! - sessions[i + 1]!;
    }
    for (const [key, c] of cells) emit(key, asciiJson(c));

    const withSeq = rows.filter((r) => r.seq !== null && r.seq !== undefined).sort((a, b) => a.seq! - b.seq! || inDeviceOrder(a, b));
    const gaps = new Map<string, SeqGapRow>();
    for (let i = 1; i < withSeq.length; i++) {
      const hole = withSeq[i]!.seq! - withSeq[i - 1]!.seq! - 1;
      if (hole <= 0) continue;
      const day = utcDay(withSeq[i]!.event_time);
      const platform = withSeq[i]!.platform ?? '';
      const key = makeKey(GAPS_KIND, app, day, platform);
      const g = gaps.get(key) ?? { app_id: app, day, platform, seq_gaps: 0 };
      g.seq_gaps += hole;
      gaps.set(key, g);
    }
    for (const [key, g] of gaps) emit(key, asciiJson(g));
  },
};
