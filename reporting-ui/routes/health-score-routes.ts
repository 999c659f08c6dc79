/**
 * Data health, summarized and paged: a score (0–100, reporting-ui/health-score.ts) per app and
 * UTC day, worst first, with the raw figures behind it; and the lists that grow without bound
 * (restatements, quarantined rows, job runs) in pages of `limit` rows from `offset` with their
 * total. `format=csv` answers every row (no paging). Publishers see their apps only; job runs
 * and quarantined rows with no app id are for admins.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_PAGE, type Page, type PageQuery } from '../../store/health-sql.js';
import { HEALTH_FORMULA, healthScore } from '../health-score.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange } from '../time-range.js';

const DEFAULT_PAGE = 100;
const PageParams = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: `rows per page (default ${DEFAULT_PAGE}, at most ${MAX_PAGE})` })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9, description: 'rows to skip (default 0)' })),
  app: Type.Optional(Type.String({ description: "an app id or 'all' (default)" })),
};
type PageQ = RangeQueryT & { limit?: number; offset?: number; app?: string };

/** One page, or with format=csv every row (pages of MAX_PAGE until the total). */
async function pageOrAll<T>(req: FastifyRequest, read: (limit: number, offset: number) => Promise<Page<T>>): Promise<Page<T> & { limit: number; offset: number }> {
  const q = req.query as PageQ;
  if (q.format !== 'csv') {
    const limit = q.limit ?? DEFAULT_PAGE;
    const offset = q.offset ?? 0;
    return { ...(await read(limit, offset)), limit, offset };
  }
  const rows: T[] = [];
  let total = 0;
  do {
    const p = await read(MAX_PAGE, rows.length);
    total = p.total;
    rows.push(...p.rows);
    if (p.rows.length === 0) break;
  } while (rows.length < total);
  return { rows, total, limit: rows.length, offset: 0 };
}

export function healthScoreRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/health/scores', {
      schema: { tags: ['health'], summary: 'a data health score (0–100) per app and UTC day, worst first, with its raw figures; paged (limit, offset, total)', querystring: Type.Object({ ...RangeQuery, ...PageParams }) },
    }, async (req, reply) => {
      const q = req.query as PageQ;
      const r = parseRange(q);
      const ids = await scopeOf(req).appIds(q.app ?? 'all');
      const [daily, counts] = await Promise.all([o.store.dayDevices(ids, r.fromDay, r.toDay), o.store.appDayHealth(ids, r.fromDay, r.toDay)]);
      const by = new Map<string, { app_id: string; day: string; events: number; duplicates: number; seq_gaps: number; quarantined_rows: number; restated_hours: number }>();
      const at = (app_id: string, day: string) => {
        const k = `${app_id}|${day}`;
        let x = by.get(k);
        if (!x) by.set(k, (x = { app_id, day, events: 0, duplicates: 0, seq_gaps: 0, quarantined_rows: 0, restated_hours: 0 }));
        return x;
      };
      for (const d of daily) {
        const x = at(d.app_id, d.day);
        x.events += d.events;
        x.duplicates += d.duplicates;
        x.seq_gaps += d.seq_gaps;
      }
      for (const c of counts) {
        const x = at(c.app_id, c.day);
        x.quarantined_rows += c.quarantined_rows;
        x.restated_hours += c.restated_hours;
      }
      // Worst first; ties: the latest day, then the app id.
      const all = [...by.values()].map((x) => {
        const s = healthScore(x);
        return { app_id: x.app_id, day: x.day, score: s.score, events: x.events, duplicates: x.duplicates, duplicate_pct: s.duplicate_share, seq_gaps: x.seq_gaps, gap_pct: s.gap_share, quarantined_rows: x.quarantined_rows, quarantine_pct: s.quarantine_share, restated_hours: x.restated_hours, penalty_gaps: s.penalties.gaps, penalty_quarantined: s.penalties.quarantined, penalty_duplicates: s.penalties.duplicates, penalty_restatements: s.penalties.restatements };
      }).sort((a, b) => a.score - b.score || (a.day < b.day ? 1 : a.day > b.day ? -1 : 0) || (a.app_id < b.app_id ? -1 : 1));
      const csv = q.format === 'csv';
      const limit = csv ? all.length : (q.limit ?? DEFAULT_PAGE);
      const offset = csv ? 0 : (q.offset ?? 0);
      return respond(req, reply, { from: r.from, to: r.to, formula: HEALTH_FORMULA, total: all.length, limit, offset, rows: all.slice(offset, offset + limit) }, 'health-scores');
    });

    /** The apps filter of a log read: admins asking for all apps read every row (those with no app id too). */
    const appFilter = async (req: FastifyRequest): Promise<Pick<PageQuery, 'appIds'>> => {
      const a = (req.query as PageQ).app ?? 'all';
      const ids = await scopeOf(req).appIds(a);
      return scopeOf(req).isAdmin && a === 'all' ? {} : { appIds: ids };
    };

    app.get('/api/health/restatements', {
      schema: { tags: ['health'], summary: 'late-data restatements logged since the start of the range, newest first; paged (limit, offset, total)', querystring: Type.Object({ ...RangeQuery, ...PageParams }) },
    }, async (req, reply) => {
      const r = parseRange(req.query as PageQ);
      const f = await appFilter(req);
      const p = await pageOrAll(req, (limit, offset) => o.store.restatementsPage({ ...f, since: r.fromHour, limit, offset }));
      return respond(req, reply, { ...p, rows: p.rows.map((x) => ({ ...x, hour: new Date(x.hour).toISOString(), at: new Date(x.at).toISOString(), change: x.new_value - x.old_value })) }, 'restatements');
    });

    app.get('/api/health/quarantined', {
      schema: { tags: ['health'], summary: 'rows set aside since the start of the range, newest first; paged (limit, offset, total)', querystring: Type.Object({ ...RangeQuery, ...PageParams }) },
    }, async (req, reply) => {
      const r = parseRange(req.query as PageQ);
      const f = await appFilter(req);
      const p = await pageOrAll(req, (limit, offset) => o.store.quarantinedPage({ ...f, since: r.fromHour, limit, offset }));
      return respond(req, reply, { ...p, rows: p.rows.map((x) => ({ ...x, at: new Date(x.at).toISOString() })) }, 'quarantined');
    });

    app.get('/api/health/job-runs', {
      config: { access: 'admin' },
      schema: { tags: ['health'], summary: 'admins: job runs, newest first; paged (limit, offset, total)', querystring: Type.Object({ format: RangeQuery.format, table: RangeQuery.table, limit: PageParams.limit, offset: PageParams.offset }) },
    }, async (req, reply) => {
      const p = await pageOrAll(req, (limit, offset) => o.store.jobRunsPage({ limit, offset }));
      return respond(req, reply, { ...p, rows: p.rows.map((x) => ({ ...x, started_at: new Date(x.started_at).toISOString(), finished_at: x.finished_at === null ? null : new Date(x.finished_at).toISOString(), duration_ms: x.finished_at === null ? null : x.finished_at - x.started_at })) }, 'job-runs');
    });
  };
}
