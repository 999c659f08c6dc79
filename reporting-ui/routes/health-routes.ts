/**
 * Data health (publishers for their apps, admins for all): completeness from per-device seq
 * gaps, duplicates removed, late-data restatements, rows quarantined by the pipeline or the
 * jobs (admins also those with no app id), ingest lag; admins also see job runs and the
 * monitoring rules evaluated over the tiers' /metrics.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange } from '../time-range.js';

const HOUR_MS = 3_600_000;

/** An app's newest hour with data and how long ago it ended; nulls for an app without data. */
function ingestLag(appId: string, lastHour: number | undefined, now: number) {
  if (lastHour === undefined) return { app_id: appId, last_hour: null, lag_minutes: null };
  return { app_id: appId, last_hour: new Date(lastHour).toISOString(), lag_minutes: Math.max(0, Math.round((now - lastHour - HOUR_MS) / 60_000)) };
}

export function healthRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/health', {
      schema: { tags: ['health'], summary: 'completeness, duplicates removed, restatements, quarantined rows and ingest lag per app (admins: and job runs)', querystring: Type.Object({ ...RangeQuery, app: Type.Optional(Type.String({ description: "an app id or 'all' (default)" })) }) },
    }, async (req, reply) => {
      const q = req.query as RangeQueryT & { app?: string };
      const r = parseRange(q);
      const scope = scopeOf(req);
      const ids = await scope.appIds(q.app ?? 'all');
      const everything = scope.isAdmin && (q.app ?? 'all') === 'all';
      const [daily, latest, restated, runs, quarantined] = await Promise.all([
        o.store.dayDevices(ids, r.fromDay, r.toDay),
        o.store.latestHours(ids),
        everything ? o.store.restatements({ since: r.fromHour, limit: 500 }) : Promise.all(ids.map((a) => o.store.restatements({ app_id: a, since: r.fromHour, limit: 200 }))).then((x) => x.flat()),
        scope.isAdmin ? o.store.listJobRuns({ limit: 50 }) : Promise.resolve([]),
        everything ? o.store.quarantined({ since: r.fromHour, limit: 500 }) : Promise.all(ids.map((a) => o.store.quarantined({ app_id: a, since: r.fromHour, limit: 200 }))).then((x) => x.flat()),
      ]);
      const days = new Map<string, { app_id: string; day: string; events: number; seq_gaps: number; duplicates: number }>();
      for (const d of daily) {
        const k = `${d.app_id}|${d.day}`;
        const x = days.get(k) ?? { app_id: d.app_id, day: d.day, events: 0, seq_gaps: 0, duplicates: 0 };
        x.events += d.events;
        x.seq_gaps += d.seq_gaps;
        x.duplicates += d.duplicates;
        days.set(k, x);
      }
      const now = Date.now();
      const body = {
        from: r.from, to: r.to,
        completeness: [...days.values()].map((d) => ({ ...d, completeness_pct: d.events + d.seq_gaps ? Math.round((d.events / (d.events + d.seq_gaps)) * 1e4) / 100 : 100 })),
        ingest_lag: ids.map((a) => ingestLag(a, latest.get(a), now)),
        restatements: restated.sort((a, b) => b.at - a.at).map((x) => ({ ...x, hour: new Date(x.hour).toISOString(), at: new Date(x.at).toISOString(), change: x.new_value - x.old_value })),
        quarantined: quarantined.sort((a, b) => b.at - a.at).map((x) => ({ ...x, at: new Date(x.at).toISOString() })),
        job_runs: runs.map((x) => ({ ...x, started_at: new Date(x.started_at).toISOString(), finished_at: x.finished_at === null ? null : new Date(x.finished_at).toISOString(), duration_ms: x.finished_at === null ? null : x.finished_at - x.started_at })),
      };
      return respond(req, reply, body, 'health');
    });

    app.get('/api/monitoring', { config: { access: 'admin' }, schema: { tags: ['health'], summary: "admins: the alert rules evaluated over the tiers' /metrics, and the scrape targets" } }, async (req, reply) => {
      return respond(req, reply, o.monitor.status(), 'monitoring');
    });
  };
}
