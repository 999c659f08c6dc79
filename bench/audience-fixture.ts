/**
 * bench:ui's audience rows for the bench app: a year of first-seen days before the range (the
 * audience table keeps an app's whole history) and, per day of the range, ~150k active devices
 * over five app versions, loaded through the store's own replaceAudience / replaceAppVersions.
 */
import { DAY_MS, utcDay } from '../common/time.js';
import type { AppVersionDailyRow, AudienceDayRow } from '../store/audience.js';
import type { ReportStore } from '../store/store.js';

const HISTORY_DAYS = 365;

export async function seedAudience(store: ReportStore, app: string, end: number, days: number, versions: readonly string[]): Promise<number> {
  const rows: AudienceDayRow[] = [];
  for (let d = days + HISTORY_DAYS; d >= 1; d--) {
    const devices = 150_000 + ((d * 7919) % 5000);
    const fresh = 12_000 + ((d * 104_729) % 3000);
    rows.push({ app_id: app, day: utcDay(end - d * DAY_MS), devices, new_devices: fresh, d1: d > 1 ? Math.floor(fresh * 0.4) : 0, d7: d > 7 ? Math.floor(fresh * 0.2) : 0, d30: d > 30 ? Math.floor(fresh * 0.08) : 0 });
  }
  await store.replaceAudience(app, rows);
  const from = utcDay(end - days * DAY_MS);
  const to = utcDay(end - DAY_MS);
  const vrows: AppVersionDailyRow[] = rows.filter((r) => r.day >= from).flatMap((r) => versions.map((app_version, i) => ({ app_id: app, day: r.day, app_version, devices: Math.floor(r.devices / 2 ** (versions.length - i)) })));
  await store.replaceAppVersions(app, from, to, vrows);
  return rows.length + vrows.length;
}
