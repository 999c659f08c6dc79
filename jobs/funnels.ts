/**
 * Funnel counts of one app's devices, fed by aggregate-app.ts while it walks each device's
 * events in order (seq, then event time). Per device and UTC day, each funnel's progress moves
 * one step when the next custom event is the funnel's next step (greedy matching finds the
 * longest ordered prefix a day's events contain); at the end of the device, each day adds one
 * device to steps 1..progress. Exact: a device counts at most once per funnel, step and day.
 */
import { DAY_MS, utcDay } from '../common/time.js';
import { FUNNEL_MAX_STEPS, type FunnelDailyRow } from '../store/funnels.js';

/** What the jobs read of a funnel definition. */
export interface FunnelDef {
  id: string;
  steps: string[];
}

export class FunnelCounter {
  /** Per funnel, the name id of each step (-1: a name no event of the run carries). */
  private readonly steps: Int32Array[];
  /** 1 for name ids some funnel uses: other custom events skip the funnels at once. */
  private readonly used: Uint8Array;
  /** The current device's progress per UTC day number, one byte per funnel. */
  private readonly device = new Map<number, Uint8Array>();
  /** Devices per day number and (funnel, step): index f * FUNNEL_MAX_STEPS + step - 1. */
  private readonly counts = new Map<number, Float64Array>();

  constructor(private readonly funnels: readonly FunnelDef[], nameIds: ReadonlyMap<string, number>, names: number) {
    this.used = new Uint8Array(names);
    this.steps = funnels.map((f) => Int32Array.from(f.steps.slice(0, FUNNEL_MAX_STEPS), (s) => nameIds.get(s) ?? -1));
    for (const st of this.steps) for (const id of st) if (id >= 0) this.used[id] = 1;
  }

  get empty(): boolean {
    return this.funnels.length === 0;
  }

  /** A custom event of the current device on day number `day`, in walk order. */
  event(day: number, nameId: number): void {
    if (this.used[nameId] !== 1) return;
    let p = this.device.get(day);
    if (p === undefined) this.device.set(day, (p = new Uint8Array(this.steps.length)));
    for (let f = 0; f < this.steps.length; f++) {
      const st = this.steps[f]!;
      if (p[f]! < st.length && st[p[f]!] === nameId) p[f]!++;
    }
  }

  /** The current device is done: its progress per day becomes counts. */
  endDevice(): void {
    if (this.device.size === 0) return;
    for (const [day, p] of this.device) {
      let c = this.counts.get(day);
      if (c === undefined) this.counts.set(day, (c = new Float64Array(this.steps.length * FUNNEL_MAX_STEPS)));
      for (let f = 0; f < p.length; f++) for (let k = 0; k < p[f]!; k++) c[f * FUNNEL_MAX_STEPS + k]!++;
    }
    this.device.clear();
  }

  /** Rows per UTC day: every step of each funnel some device entered that day (zeros included). */
  rows(app: string): Map<string, FunnelDailyRow[]> {
    const out = new Map<string, FunnelDailyRow[]>();
    for (const [dayNum, c] of this.counts) {
      const day = utcDay(dayNum * DAY_MS);
      const rows: FunnelDailyRow[] = [];
      this.funnels.forEach((f, fi) => {
        if (c[fi * FUNNEL_MAX_STEPS] === 0) return;
        for (let k = 0; k < this.steps[fi]!.length; k++) rows.push({ app_id: app, day, funnel_id: f.id, step: k + 1, devices: c[fi * FUNNEL_MAX_STEPS + k]! });
      });
      if (rows.length > 0) out.set(day, rows);
    }
    return out;
  }
}
