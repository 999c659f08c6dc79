import { utcDay } from '../../common/time.js';
import type { AppVersionTruth, AudienceDayTruth } from '../../sdk-mock/truth-audience.js';

const DAY = 86_400_000;

/** The audience tables of the ground truth, recounted from each device's delivered events (corrected times). */
export function recountAudience(byDevice: Map<string, { e: Record<string, unknown>; t: number }[]>): { audience_days: AudienceDayTruth[]; app_versions: AppVersionTruth[] } {
  const days = new Map<string, AudienceDayTruth>();
  const versions = new Map<string, AppVersionTruth>();
  const row = (app_id: string, day: string) => {
    const k = `${app_id}|${day}`;
    let r = days.get(k);
    if (!r) days.set(k, (r = { app_id, day, devices: 0, new_devices: 0, returning: 0, d1: 0, d7: 0, d30: 0 }));
    return r;
  };
  for (const list of byDevice.values()) {
    const app = list[0]!.e.app_id as string;
    const active = new Set(list.map((x) => Math.floor(x.t / DAY)));
    const first = Math.min(...active);
    for (const d of active) {
      const r = row(app, utcDay(d * DAY));
      r.devices++;
      if (d === first) r.new_devices++;
      else r.returning++;
    }
    const c = row(app, utcDay(first * DAY));
    if (active.has(first + 1)) c.d1++;
    if (active.has(first + 7)) c.d7++;
    if (active.has(first + 30)) c.d30++;
    for (const x of list) {
      const day = utcDay(x.t);
      const v = String(x.e.app_version ?? '');
      const k = `${app}|${day}|${v}|${x.e.device_id as string}`;
      if (versions.has(k)) continue;
      versions.set(k, { app_id: app, day, app_version: v, devices: 1 });
    }
  }
  const perVersion = new Map<string, AppVersionTruth>();
  for (const v of versions.values()) {
    const k = `${v.app_id}|${v.day}|${v.app_version}`;
    const r = perVersion.get(k);
    if (r) r.devices++;
    else perVersion.set(k, { ...v });
  }
  return { audience_days: [...days.values()], app_versions: [...perVersion.values()] };
}
