/**
 * The load step's part in audience reports: each app with pending days gets its audience rows
 * (device-cohorts.ts, kept whole in the dedupe state) replaced before its days are aggregated,
 * and each aggregated window its app-version rows. An app's pending days stay until their facts
 * are stored, so a load killed half-way replaces the same rows again on the next run.
 */
import { DAY_MS, utcDay } from '../common/time.js';
import type { Logger } from '../common/logger.js';
import { APP_VERSION_DAILY } from '../store/audience-sql.js';
import type { AudienceDayRow } from '../store/audience.js';
import type { ReportStore } from '../store/store.js';
import type { AggregateAppResult } from './aggregate-app.js';
import type { AudienceDays } from './device-cohorts.js';
import { isDataError } from './quarantine.js';
import type { Manifest } from './state.js';

/** An app's audience state as store rows, by day. */
function audienceRows(app: string, days: AudienceDays): AudienceDayRow[] {
  return Object.keys(days)
    .map(Number)
    .sort((a, b) => a - b)
    .map((d) => {
      const [devices, new_devices, d1, d7, d30] = days[d]!;
      return { app_id: app, day: utcDay(d * DAY_MS), devices, new_devices, d1, d7, d30 };
    });
}

/** Replaces the audience rows of every app with pending days; answers the rows written. */
export async function loadAudience(store: ReportStore, m: Manifest, log: Logger): Promise<number> {
  let n = 0;
  for (const app of Object.keys(m.pending).sort()) {
    const days = m.apps[app]?.audience;
    if (!days) continue;
    const rows = audienceRows(app, days);
    try {
      await store.replaceAudience(app, rows);
    } catch (err) {
      if (!isDataError(err)) throw err;
      log.error({ app, code: err.code, err: err.message }, 'the store refused an app\'s audience rows; the old ones stay');
      continue;
    }
    n += rows.length;
  }
  return n;
}

/** Replaces the app-version rows of an aggregated window (versions the store cannot hold are left out: their hourly rows are quarantined). */
export async function loadVersions(store: ReportStore, r: AggregateAppResult, log: Logger): Promise<void> {
  const days = Object.keys(r.versions ?? {}).sort();
  if (days.length === 0) return;
  const problems: string[] = [];
  const rows = days.flatMap((d) => r.versions[d]!).filter((row) => APP_VERSION_DAILY.check(row, 'app version', problems) === null);
  if (problems.length > 0) log.warn({ app: r.app, refused: problems.length }, 'app versions the store cannot hold are left out of adoption');
  try {
    await store.replaceAppVersions(r.app, days[0]!, days[days.length - 1]!, rows);
  } catch (err) {
    if (!isDataError(err)) throw err;
    log.error({ app: r.app, code: err.code, err: err.message }, 'the store refused an app\'s version rows; the old ones stay');
  }
}
