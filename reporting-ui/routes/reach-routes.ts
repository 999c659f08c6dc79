/**
 * Reach and frequency of a campaign (advertisers and admins): devices that got at least one
 * impression, per UTC day and over the range, as the estimate of the merged HyperLogLog
 * sketches the jobs keep per campaign and day (standard error 0.81%, so "±2%"), the exact
 * impressions, and the average frequency = impressions / reach.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Hll } from '../../common/hll.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange, utcDays } from '../time-range.js';

const freq = (impressions: number, reach: number): number => (reach > 0 ? Math.round((impressions / reach) * 100) / 100 : 0);

export function reachRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/campaigns/:id/reach', {
      schema: { tags: ['campaigns'], summary: 'reach (estimated distinct devices with an impression, ±2%), impressions and average frequency over the UTC days from..to, and per day', params: Type.Object({ id: Type.String() }), querystring: Type.Object({ from: RangeQuery.from, to: RangeQuery.to, format: RangeQuery.format, table: RangeQuery.table }) },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      await scopeOf(req).campaign(id);
      const r = parseRange({ ...(req.query as RangeQueryT), tz: 'UTC' });
      const rows = await o.store.campaignReach(id, r.from, r.to);
      const all = new Hll();
      const byDay = new Map<string, { hll: Hll; impressions: number }>();
      let impressions = 0;
      for (const x of rows) {
        let d = byDay.get(x.day);
        if (!d) byDay.set(x.day, (d = { hll: new Hll(), impressions: 0 }));
        // The store checked each sketch when it was loaded: merged from its text, not rebuilt.
        d.hll.mergeBase64(x.devices_hll);
        d.impressions += x.impressions;
        impressions += x.impressions;
      }
      // The range's sketch is the merge of the days' (a union of sets).
      for (const d of byDay.values()) all.merge(d.hll);
      const reach = Math.round(all.estimate());
      const by_day = utcDays(r.from, r.to).map((day) => {
        const d = byDay.get(day);
        const dr = d ? Math.round(d.hll.estimate()) : 0;
        return { day, reach: dr, impressions: d?.impressions ?? 0, avg_frequency: freq(d?.impressions ?? 0, dr) };
      });
      return respond(req, reply, { campaign: id, from: r.from, to: r.to, estimated: true, error_pct: 2, reach, impressions, avg_frequency: freq(impressions, reach), by_day }, `reach-${id}`);
    });
  };
}
