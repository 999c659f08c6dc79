/**
 * Conversions credited to a campaign (advertisers and admins): the jobs' attribution (last
 * touch, linear or time decay, as each app is set up, within its lookback window) summed per
 * day, app and creative. Conversions are per UTC day of the conversion; linear and time-decay
 * credit is fractional, so the numbers carry two decimals.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange } from '../time-range.js';

const round2 = (x: number): number => Math.round(x * 100) / 100;

function addTo(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

export function conversionRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/campaigns/:id/conversions', {
      schema: { tags: ['campaigns'], summary: "conversions credited to the campaign by each app's attribution model and lookback, per day, app and creative (UTC days of the conversion)", params: Type.Object({ id: Type.String() }), querystring: Type.Object(RangeQuery) },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      await scopeOf(req).campaign(id);
      const r = parseRange(req.query as RangeQueryT);
      // A campaign runs on any app: every app's attribution rows, kept to this campaign.
      const [apps, creatives] = await Promise.all([o.store.listApps(), o.store.listCreatives()]);
      const creativeName = new Map(creatives.map((c) => [c.id, c.name]));
      const byDay = new Map<string, number>();
      const byApp = new Map<string, number>();
      const byCreative = new Map<string, number>();
      const rows = (await Promise.all(apps.map((a) => o.store.attribution(a.id, r.fromDay, r.toDay)))).flat().filter((x) => x.campaign_id === id);
      // The model the jobs credited with (an app's setting may have changed since).
      const modelOf = new Map<string, string>();
      for (const x of rows) addTo(byDay, x.day, x.conversions), addTo(byApp, x.app_id, x.conversions), addTo(byCreative, x.creative_id, x.conversions), modelOf.set(x.app_id, x.model);
      const appOf = new Map(apps.map((a) => [a.id, a]));
      const total = rows.reduce((n, x) => n + x.conversions, 0);
      return respond(req, reply, {
        campaign: id, from: r.fromDay, to: r.toDay, total: round2(total),
        by_day: [...byDay].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, n]) => ({ day, conversions: round2(n) })),
        by_app: [...byApp].sort((a, b) => b[1] - a[1]).map(([app_id, n]) => ({ app_id, name: appOf.get(app_id)?.name ?? app_id, model: modelOf.get(app_id) ?? '', lookback_days: appOf.get(app_id)?.attribution_lookback_days ?? 0, conversions: round2(n) })),
        by_creative: [...byCreative].sort((a, b) => b[1] - a[1]).map(([creative_id, n]) => ({ creative_id, name: creativeName.get(creative_id) ?? creative_id, conversions: round2(n) })),
      }, `conversions-${id}`);
    });
  };
}
