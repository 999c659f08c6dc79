/**
 * Funnels over custom events (publishers for their own apps, admins for any): list, define,
 * delete, and the report: per step the devices that went through steps 1..k in order within a
 * UTC day, summed over the range's UTC days, with conversion from the step before and from
 * step 1. The jobs count a funnel from the next load of an app-day after it was defined
 * (`sluice jobs run restate --from D --to D` back-fills).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { funnelProblems, FUNNEL_MAX_STEPS, FUNNEL_NAME_MAX, FUNNEL_STEP_MAX, type Funnel } from '../../store/funnels.js';
import { notVisible, UiError, UiErrorCode } from '../errors.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange, utcDays } from '../time-range.js';

/** Funnels one app may have. */
const MAX_FUNNELS_PER_APP = 50;
const AppParam = Type.Object({ app: Type.String({ description: 'an app id' }) });
const FunnelParam = Type.Object({ app: Type.String(), id: Type.String() });
const pct = (n: number, of: number): number | null => (of > 0 ? Math.round((n / of) * 10_000) / 100 : null);
const view = (f: Funnel) => ({ id: f.id, app_id: f.app_id, name: f.name, steps: f.steps, created_at: f.created_at });

export function funnelRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    /** The funnel, when it belongs to this (visible) app. */
    const funnelOf = async (appId: string, id: string): Promise<Funnel> => {
      const f = await o.store.getFunnel(id);
      if (!f || f.app_id !== appId) throw notVisible('funnel', id);
      return f;
    };

    app.get('/api/apps/:app/funnels', {
      schema: { tags: ['funnels'], summary: "the app's funnels", params: AppParam },
    }, async (req) => {
      const { app: appId } = req.params as { app: string };
      await scopeOf(req).app(appId);
      return { app: appId, funnels: (await o.store.listFunnels(appId)).map(view) };
    });

    app.post('/api/apps/:app/funnels', {
      schema: {
        tags: ['funnels'], summary: `define a funnel: a name and 2 to ${FUNNEL_MAX_STEPS} custom event names in order`, params: AppParam,
        body: Type.Object({ name: Type.String({ maxLength: FUNNEL_NAME_MAX * 2 }), steps: Type.Array(Type.String({ maxLength: FUNNEL_STEP_MAX * 2 }), { maxItems: FUNNEL_MAX_STEPS * 2 }) }),
      },
    }, async (req, reply) => {
      const { app: appId } = req.params as { app: string };
      await scopeOf(req).app(appId);
      const b = req.body as { name: string; steps: string[] };
      const problems = funnelProblems(b);
      if (problems.length > 0) throw new UiError(UiErrorCode.FUNNEL_INVALID, `the funnel is not valid: ${problems.join('; ')}`, problems);
      if ((await o.store.listFunnels(appId)).length >= MAX_FUNNELS_PER_APP) throw new UiError(UiErrorCode.FUNNEL_LIMIT, `an app has at most ${MAX_FUNNELS_PER_APP} funnels; delete one first`);
      return reply.code(201).send(view(await o.store.createFunnel({ app_id: appId, name: b.name, steps: b.steps })));
    });

    app.delete('/api/apps/:app/funnels/:id', {
      schema: { tags: ['funnels'], summary: 'delete a funnel and its numbers', params: FunnelParam },
    }, async (req, reply) => {
      const { app: appId, id } = req.params as { app: string; id: string };
      await scopeOf(req).app(appId);
      await funnelOf(appId, id);
      await o.store.deleteFunnel(id);
      return reply.code(204).send();
    });

    app.get('/api/apps/:app/funnels/:id', {
      schema: { tags: ['funnels'], summary: 'devices per funnel step (in order within a UTC day), summed over the UTC days from..to, with conversion', params: FunnelParam, querystring: Type.Object({ from: RangeQuery.from, to: RangeQuery.to, format: RangeQuery.format, table: RangeQuery.table }) },
    }, async (req, reply) => {
      const { app: appId, id } = req.params as { app: string; id: string };
      await scopeOf(req).app(appId);
      const f = await funnelOf(appId, id);
      // Funnels are per UTC day: the range is UTC days whatever the viewer's zone.
      const r = parseRange({ ...(req.query as RangeQueryT), tz: 'UTC' });
      const rows = await o.store.funnelDaily(id, r.from, r.to);
      const totals = new Array<number>(f.steps.length).fill(0);
      const perDay = new Map<string, number[]>();
      for (const x of rows) {
        const i = x.step - 1;
        const total = totals[i];
        // A step outside 1..steps has no total: skipped.
        if (total === undefined) continue;
        totals[i] = total + x.devices;
        let d = perDay.get(x.day);
        if (!d) perDay.set(x.day, (d = new Array<number>(f.steps.length).fill(0)));
        d[i] = (d[i] ?? 0) + x.devices;
      }
      const [first = 0] = totals;
      const steps = f.steps.map((name, i) => {
        const devices = totals[i] ?? 0;
        const previous = totals[i - 1];
        return { step: i + 1, name, devices, from_previous_pct: previous === undefined ? 100 : pct(devices, previous), from_first_pct: i === 0 ? 100 : pct(devices, first) };
      });
      const days = utcDays(r.from, r.to).map((day) => {
        const d = perDay.get(day) ?? new Array<number>(f.steps.length).fill(0);
        return { day, ...Object.fromEntries(d.map((n, i) => [`step${i + 1}`, n])) };
      });
      return respond(req, reply, { funnel: view(f), from: r.from, to: r.to, steps, days }, `funnel-${id}`);
    });
  };
}
