/**
 * App-version adoption: exact distinct devices per (UTC day, app_version) of the emitted days,
 * counted in aggregate-app.ts's device loop (devices come one at a time, so "last device seen"
 * per cell makes the count distinct without a set).
 */
import { DAY_MS, utcDay } from '../common/time.js';
import type { AppVersionDailyRow } from '../store/audience.js';

export type { AppVersionDailyRow };

/** Cells keyed day * VERSION_BITS + version id (ids from the aggregation's app_version dictionary). */
const VERSION_BITS = 2 ** 20;

export class VersionDevices {
  private readonly count = new Map<number, number>();
  private readonly lastDev = new Map<number, number>();
  private lastKey = -1;
  private lastD = -1;

  /** Device `dev` (ids ascending device by device) had an event of version `version` on UTC day number `day`. */
  add(day: number, version: number, dev: number): void {
    const key = day * VERSION_BITS + version;
    // A device's events mostly share day and version: skip the map look-ups then.
    if (key === this.lastKey && dev === this.lastD) return;
    this.lastKey = key;
    this.lastD = dev;
    if (this.lastDev.get(key) === dev) return;
    this.lastDev.set(key, dev);
    this.count.set(key, (this.count.get(key) ?? 0) + 1);
  }

  /** Rows per emitted day (YYYY-MM-DD), every emitted day present. */
  rows(app: string, emit: Iterable<number>, versions: readonly string[]): Record<string, AppVersionDailyRow[]> {
    const out: Record<string, AppVersionDailyRow[]> = {};
    for (const d of emit) out[utcDay(d * DAY_MS)] = [];
    for (const [key, devices] of this.count) {
      const v = key % VERSION_BITS;
      const day = utcDay(((key - v) / VERSION_BITS) * DAY_MS);
      out[day]?.push({ app_id: app, day, app_version: versions[v]!, devices });
    }
    for (const rows of Object.values(out)) rows.sort((a, b) => (a.app_version < b.app_version ? -1 : a.app_version > b.app_version ? 1 : 0));
    return out;
  }
}
