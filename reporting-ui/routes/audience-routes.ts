/**
 * Audience (publishers and admins): retention cohorts by first-seen day (devices seen again on
 * day +1, +7 and +30), new and returning devices per day, and app-version adoption per day. All
 * exact counts from the jobs (store/audience.ts), per UTC day: the range's local days name the
 * UTC days shown (as the overview's daily devices do). `:app` is an app id or `all` (counts of
 * (app, device) pairs, summed over the apps you see).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppVersionDailyRow, AudienceDayRow } from '../../store/audience.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { dayMinus, parseRange, utcDays } from '../time-range.js';

const AppParam = Type.Object({ app: Type.String({ description: "an app id, or 'all'" }) });
const OFFSETS = [1, 7, 30] as const;

/** Percent with one decimal, or null when there is nothing to divide by. */
const pct = (n: number, of: number): number | null => (of > 0 ? Math.round((n / of) * 1000) / 10 : null);
const plusDays = (day: string, n: number): string => dayMinus(day, -n);

export function audienceRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/apps/:app/audience', {
      schema: {
        tags: ['apps'],
        summary: 'retention cohorts by first-seen UTC day (d1/d7/d30; null when that day is past the data), new vs returning devices per day, devices per app version per day with share (tables: cohorts, days, versions)',
        params: AppParam,
        querystring: Type.Object(RangeQuery),
      },
    }, async (req, reply) => {
      const { app: appId } = req.params as { app: string };
      const r = parseRange(req.query as RangeQueryT);
      const ids = await scopeOf(req).appIds(appId);
      const days = utcDays(r.from, r.to);
      // utcDays runs from r.from to r.to, both checked days.
      const { from, to } = r;
      const per = await Promise.all(ids.map(async (id) => ({
        rows: await o.store.audienceDays(id, from, to),
        versions: await o.store.appVersions(id, from, to),
        last: await o.store.audienceLastDay(id),
      })));
      const byDay = new Map<string, AudienceDayRow>();
      // Over several apps, a day is known once every app with data has reached it (one app's jobs may lag).
      const lastData = per.reduce<string | null>((m, p) => (p.last !== null && (m === null || p.last < m) ? p.last : m), null);
      // Today is not over: a cohort's day +k that is today would show its devices so far as a drop.
      const yesterday = plusDays(new Date().toISOString().slice(0, 10), -1);
      const lastDay = lastData !== null && lastData > yesterday ? yesterday : lastData;
      for (const p of per) {
        for (const x of p.rows) {
          const cur = byDay.get(x.day);
          if (!cur) byDay.set(x.day, { ...x });
          else (cur.devices += x.devices), (cur.new_devices += x.new_devices), (cur.d1 += x.d1), (cur.d7 += x.d7), (cur.d30 += x.d30);
        }
      }
      // A day +k after the data's last day is not known yet: null (the page shows a dash), not 0.
      const known = (day: string, k: number) => lastDay !== null && plusDays(day, k) <= lastDay;
      const cohorts = days.flatMap((day) => {
        const x = byDay.get(day);
        if (x === undefined || !(x.new_devices > 0)) return [];
        const out: Record<string, string | number | null> = { day, devices: x.new_devices };
        for (const k of OFFSETS) {
          const n = x[`d${k}`];
          out[`d${k}`] = known(day, k) ? n : null;
          out[`d${k}_pct`] = known(day, k) ? pct(n, x.new_devices) : null;
        }
        return [out];
      });
      const daysOut = days.map((day) => {
        const x = byDay.get(day);
        const active = x?.devices ?? 0;
        const fresh = x?.new_devices ?? 0;
        return { day, active, new: fresh, returning: active - fresh };
      });
      const byVersion = new Map<string, AppVersionDailyRow>();
      for (const p of per) {
        for (const v of p.versions) {
          const k = `${v.day}\u0000${v.app_version}`;
          const cur = byVersion.get(k);
          if (cur) cur.devices += v.devices;
          else byVersion.set(k, { ...v });
        }
      }
      const versions = [...byVersion.values()]
        .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.app_version < b.app_version ? -1 : a.app_version > b.app_version ? 1 : 0))
        .map((v) => ({ day: v.day, app_version: v.app_version, devices: v.devices, share_pct: pct(v.devices, byDay.get(v.day)?.devices ?? 0) }));
      return respond(req, reply, { app: appId, from: r.from, to: r.to, tz: r.tz, last_day: lastDay, cohorts, days: daysOut, versions }, `audience-${appId}`);
    });
  };
}
