/**
 * The audience part of the ground truth: per app and UTC day the devices with a delivered event,
 * the devices first seen that day (its cohort) and how many of that cohort had events on day +1,
 * +7 and +30; per app, day and app_version the distinct devices. Counted device by device; the
 * parts of shard workers add up (each device lives in one shard).
 */
import { DAY_MS, utcDay } from '../common/time.js';
import type { SimDevice } from './device.js';
import type { World } from './world.js';

export interface AudienceDayTruth {
  app_id: string;
  day: string;
  /** Devices with a delivered event that day. */
  devices: number;
  /** Devices whose first delivered event falls on that day (the cohort). */
  new_devices: number;
  /** devices - new_devices. */
  returning: number;
  /** Of the cohort, devices with events on the day +1, +7 and +30 after. */
  d1: number;
  d7: number;
  d30: number;
}

export interface AppVersionTruth {
  app_id: string;
  day: string;
  app_version: string;
  devices: number;
}

/** [app \t day index, counts [devices, new, d1, d7, d30]] and [app \t day \t version, devices]. */
export interface AudiencePart {
  days: [string, number[]][];
  versions: [string, number][];
}

const OFFSETS = [1, 7, 30];

export class AudienceAccumulator {
  private readonly days = new Map<string, number[]>();
  private readonly versions = new Map<string, number>();
  private readonly seen = new Set<number>();

  /** One device; `start` is the window's first UTC midnight. */
  addDevice(d: SimDevice, start: number): void {
    const seen = this.seen;
    seen.clear();
    let first = Infinity;
    for (const e of d.events) {
      if (e.lost) continue;
      const day = Math.floor((e.t - start) / DAY_MS);
      seen.add(day);
      if (day < first) first = day;
    }
    if (seen.size === 0) return;
    const version = String((JSON.parse(d.ctxJson) as { app_version?: unknown }).app_version ?? '');
    for (const day of seen) {
      this.row(d.app, day)[0]! += 1;
      const vk = `${d.app}\t${day}\t${version}`;
      this.versions.set(vk, (this.versions.get(vk) ?? 0) + 1);
    }
    const r = this.row(d.app, first);
    r[1]! += 1;
    OFFSETS.forEach((o, i) => {
      if (seen.has(first + o)) r[2 + i]! += 1;
    });
  }

  private row(app: number, day: number): number[] {
    const k = `${app}\t${day}`;
    let r = this.days.get(k);
    if (!r) this.days.set(k, (r = [0, 0, 0, 0, 0]));
    return r;
  }

  part(): AudiencePart {
    return { days: [...this.days], versions: [...this.versions] };
  }

  merge(p: AudiencePart): void {
    for (const [k, v] of p.days) {
      const r = this.days.get(k);
      if (r) v.forEach((x, i) => (r[i]! += x));
      else this.days.set(k, [...v]);
    }
    for (const [k, v] of p.versions) this.versions.set(k, (this.versions.get(k) ?? 0) + v);
  }

  toJSON(world: World, start: number): { audience_days: AudienceDayTruth[]; app_versions: AppVersionTruth[] } {
    const key = (a: string, day: number) => [world.apps[Number(a)]!.app_id, utcDay(start + day * DAY_MS)] as const;
    const audience_days = [...this.days]
      .map(([k, [devices, new_devices, d1, d7, d30]]) => {
        const [a, day] = k.split('\t') as [string, string];
        const [app_id, d] = key(a, Number(day));
        return { app_id, day: d, devices: devices!, new_devices: new_devices!, returning: devices! - new_devices!, d1: d1!, d7: d7!, d30: d30! };
      })
      .sort((x, y) => cmp(x.app_id, y.app_id) || cmp(x.day, y.day));
    const app_versions = [...this.versions]
      .map(([k, devices]) => {
        const [a, day, app_version] = k.split('\t') as [string, string, string];
        const [app_id, d] = key(a, Number(day));
        return { app_id, day: d, app_version, devices };
      })
      .sort((x, y) => cmp(x.app_id, y.app_id) || cmp(x.day, y.day) || cmp(x.app_version, y.app_version));
    return { audience_days, app_versions };
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
