/**
 * The dedupe step's part in sessions across midnights (device-sessions.ts): each device's
 * new events continue its session days, or, when they land among its known events, the span
 * they can change is walked again from the lake once the new files are recorded; the app's
 * crossings follow, and every app-day whose sessions can change is added to the changed days.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { murmur128String } from '../common/hash.js';
import type { Lake } from '../lake/lake.js';
import { appendDays, applyCrossings, continuesAfter, dayOf, pruneDays, replaceDays, spanOfChange, type Crossings, type DeviceEvents } from './device-sessions.js';
import type { DeviceSeqs } from './device-seqs.js';
import { AudienceUpdate } from './device-cohorts.js';
import { fileDay, rewalk } from './session-reread.js';
import { readDrops, type AppState } from './state.js';

export class SessionsUpdate {
  private readonly delta = new Map<number, Map<number, number>>();
  /** Devices to walk again: name -> [first day, last day], and their partitions. */
  private readonly spans = new Map<string, [number, number]>();
  private readonly partOf = new Map<string, number>();
  /** Devices with new events, when every device is walked again. */
  private readonly fresh = new Set<string>();
  /** The session days were walked with another timeout, or never (a state from before): walk every device again. */
  readonly rebuild: boolean;

  /** Active, new and returning devices per day, moved as devices' days change (device-cohorts.ts). */
  readonly audience: AudienceUpdate;

  /** @param keepDays session days this far before a device's last day are dropped (all but the last of them). */
  constructor(private readonly old: AppState, private readonly timeoutMs: number, private readonly keepDays: number) {
    this.rebuild = Object.keys(old.files).length > 0 && (old.sessions?.timeoutMs !== timeoutMs || old.audience === undefined);
    this.audience = new AudienceUpdate(this.rebuild ? undefined : old.audience);
  }

  /** One device's new events, in device order; the days whose sessions can change go to `changed`. */
  device(p: number, name: string, cur: DeviceSeqs, ev: DeviceEvents, changed: Set<number>): void {
    if (this.rebuild) {
      this.fresh.add(name);
      return;
    }
    if (continuesAfter(cur.s, ev)) {
      const before = AudienceUpdate.before(cur);
      cur.s = appendDays(cur.s, ev, this.timeoutMs, this.delta, changed);
      this.audience.changed(cur, before);
      pruneDays(cur.s, this.keepDays);
      return;
    }
    this.spans.set(name, spanOfChange(cur.s, new Set(ev.time.map(dayOf)), changed));
    this.partOf.set(name, p);
  }

  /**
   * Walks again the spans device() could not continue (every device on a rebuild), writes the
   * partitions' device files it changed into `state`, and answers the app's sessions state.
   */
  async finish(lake: Lake, stateDir: string, app: string, dir: string, state: AppState, generation: number, changed: Set<number>): Promise<NonNullable<AppState['sessions']>> {
    const crossings: Crossings = this.rebuild ? {} : structuredClone(this.old.sessions?.crossings ?? {});
    if (this.rebuild || this.spans.size > 0) {
      // Only the files of the days some span covers (their drop lists are read for nothing else).
      let [lo, hi] = this.rebuild ? [-Infinity, Infinity] : [Infinity, -Infinity];
      for (const [a, b] of this.spans.values()) (lo = Math.min(lo, a)), (hi = Math.max(hi, b));
      const keys = Object.keys(state.files).filter((key) => {
        const day = fileDay(key);
        return day >= lo && day <= hi;
      });
      const files = await Promise.all(keys.map(async (key) => ({ key, drops: await readDrops(stateDir, app, state.files[key]!.drops) })));
      const walked = await rewalk(lake, files, this.rebuild ? null : this.spans, this.timeoutMs);
      const byPart = new Map<number, string[]>();
      const P = state.partitions.length;
      const h = new Uint32Array(4);
      for (const name of this.rebuild ? walked.keys() : this.spans.keys()) {
        let p = this.partOf.get(name);
        if (p === undefined) murmur128String(name, h), (p = h[0]! % P);
        let list = byPart.get(p);
        if (!list) byPart.set(p, (list = []));
        list.push(name);
      }
      for (const [p, names] of byPart) {
        const part = state.partitions[p]!;
        const devSeqs = part.devices ? (JSON.parse(await readFile(join(dir, part.devices), 'utf8')) as Record<string, DeviceSeqs>) : {};
        for (const name of names) {
          const w = walked.get(name);
          const cur = (devSeqs[name] ??= { platform: '', iv: [] });
          const before = this.rebuild ? [] : AudienceUpdate.before(cur);
          if (this.rebuild) {
            cur.c = undefined;
            cur.s = w ? replaceDays(undefined, -Infinity, Infinity, w.d, w.last, this.delta) : undefined;
            if (cur.s && this.fresh.has(name)) for (let k = 0; k < cur.s.d.length; k += 3) changed.add(cur.s.d[k]!);
          } else {
            const [from, to] = this.spans.get(name)!;
            const lastDay = cur.s ? cur.s.d[cur.s.d.length - 3]! : -Infinity;
            // The walk reached the device's last event when no known day comes after it (every new day is within it).
            cur.s = replaceDays(cur.s, from, to, w?.d ?? [], w && to >= lastDay ? w.last : null, this.delta);
          }
          this.audience.changed(cur, before);
          if (cur.s) pruneDays(cur.s, this.keepDays);
        }
        const devName = `p${p}-g${generation}.dev.json`;
        await writeFile(join(dir, devName), JSON.stringify(devSeqs));
        state.partitions[p] = { ...part, devices: devName };
      }
    }
    applyCrossings(crossings, this.delta);
    return { timeoutMs: this.timeoutMs, crossings };
  }
}
