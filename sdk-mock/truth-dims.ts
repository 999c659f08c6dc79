/**
 * Ground truth per app, UTC day and one device dimension (country, app version): delivered
 * events, ad impressions and clicks, sessions and session time. A device has one country and one
 * app version for its whole life, so its events and sessions fall in exactly one value of each.
 * Hooked into TruthAccumulator (addDevice, part, merge, toJSON); parts are plain arrays.
 */
import { DAY_MS, utcDay } from '../common/time.js';
import type { Session } from '../common/sessions.js';
import { T, type SimDevice } from './device.js';

const TRUTH_DIMS = ['country', 'app_version'] as const;

export interface AppDayDimRow {
  app_id: string;
  day: string;
  dim: (typeof TRUTH_DIMS)[number];
  value: string;
  events_total: number;
  ad_impression: number;
  ad_click: number;
  sessions: number;
  session_ms: number;
}

// Figures per key, in this order.
const EVENTS = 0;
const IMPRESSIONS = 1;
const CLICKS = 2;
const SESSIONS = 3;
const SESSION_MS = 4;
const N = 5;

export class DimTruth {
  /** `app\tday\tdim\tvalue` -> figures. */
  readonly rows = new Map<string, number[]>();

  constructor(private readonly start: number) {}

  private at(app: number, day: number, dim: string, value: string): number[] {
    const k = `${app}\t${day}\t${dim}\t${value}`;
    let r = this.rows.get(k);
    if (!r) this.rows.set(k, (r = new Array<number>(N).fill(0)));
    return r;
  }

  /** One device's delivered events and its sessions (as TruthAccumulator counted them). */
  addDevice(d: SimDevice, sessions: readonly Session[]): void {
    // The device context is serialised once per device; parsing it once per device is cheap next to its events.
    const ctx = JSON.parse(d.ctxJson) as Record<string, string>;
    for (const dim of TRUTH_DIMS) {
      const value = String(ctx[dim] ?? '');
      let lastDay = -1;
      let row: number[] = [];
      for (const e of d.events) {
        if (e.lost) continue;
        const day = Math.floor((e.t - this.start) / DAY_MS);
        if (day !== lastDay) (row = this.at(d.app, day, dim, value)), (lastDay = day);
        row[EVENTS]! += 1;
        if (e.type === T.AdImpression) row[IMPRESSIONS]! += 1;
        else if (e.type === T.AdClick) row[CLICKS]! += 1;
      }
      for (const s of sessions) {
        const r = this.at(d.app, Math.floor((s.start - this.start) / DAY_MS), dim, value);
        r[SESSIONS]! += 1;
        r[SESSION_MS]! += s.end - s.start;
      }
    }
  }

  part(): [string, number[]][] {
    return [...this.rows];
  }

  merge(p: readonly [string, number[]][]): void {
    for (const [k, v] of p) {
      const r = this.rows.get(k);
      if (!r) this.rows.set(k, [...v]);
      else for (let i = 0; i < N; i++) r[i]! += v[i]!;
    }
  }

  toJSON(appIds: readonly string[]): AppDayDimRow[] {
    return [...this.rows]
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
      .map(([k, v]) => {
        const [a, day, dim, value] = k.split('\t') as [string, string, AppDayDimRow['dim'], string];
        return { app_id: appIds[Number(a)]!, day: utcDay(this.start + Number(day) * DAY_MS), dim, value, events_total: v[EVENTS]!, ad_impression: v[IMPRESSIONS]!, ad_click: v[CLICKS]!, sessions: v[SESSIONS]!, session_ms: v[SESSION_MS]! };
      });
  }
}
