/**
 * Campaign reports (advertisers and admins): delivery against the pacing curve per line item,
 * impressions, clicks and CTR by creative, slot, platform, country, and why line items were
 * not served (from the ad server's /metrics).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { targetShare } from '../../common/pacing-curve.js';
import { CAMPAIGN_GROUPS, type CampaignGroup } from '../../store/reports.js';
import { adRows } from '../ad-rows.js';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange } from '../time-range.js';

const HOUR_MS = 3_600_000;
const IdParam = Type.Object({ id: Type.String() });

export function campaignRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/campaigns', { schema: { tags: ['campaigns'], summary: 'the campaigns you see, with their line items (format=csv)' } }, async (req, reply) => {
      const campaigns = await scopeOf(req).visibleCampaigns();
      const withItems = await Promise.all(campaigns.map(async (c) => ({ ...c, line_items: await o.store.listLineItems({ campaign_id: c.id }) })));
      return respond(req, reply, { campaigns: withItems }, 'campaigns');
    });

    app.get('/api/campaigns/:id/report', {
      schema: { tags: ['campaigns'], summary: 'impressions, clicks, interactions and CTR of a campaign grouped by one column, with names', params: IdParam, querystring: Type.Object({ ...RangeQuery, by: Type.Optional(Type.Union(CAMPAIGN_GROUPS.map((g) => Type.Literal(g)))) }) },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const q = req.query as RangeQueryT & { by?: CampaignGroup };
      await scopeOf(req).campaign(id);
      const r = parseRange(q);
      const by = q.by ?? 'creative_id';
      const rows = await o.store.campaignTotals({ campaignIds: [id] }, by, r.fromHour, r.toHour);
      return respond(req, reply, { campaign: id, by, rows: await adRows(o.store, by, rows, false) }, `campaign-${by}`);
    });

    app.get('/api/campaigns/:id/delivery', {
      schema: { tags: ['campaigns'], summary: 'cumulative delivery per line item per hour against its pacing target curve', params: IdParam, querystring: Type.Object(RangeQuery) },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const campaign = await scopeOf(req).campaign(id);
      const items = await o.store.listLineItems({ campaign_id: id });
      const r = parseRange(req.query as RangeQueryT);
      // Cumulative from the flight start, whatever the range shows.
      const flightStart = Math.min(...items.map((li) => li.start_at), campaign.start_at);
      const from = Math.floor(flightStart / HOUR_MS) * HOUR_MS;
      const facts = await o.store.lineItemHours(id, from, r.toHour);
      const goalType = new Map(items.map((li) => [li.id, li.goal_type]));
      const perItem = new Map<string, Map<number, number>>();
      for (const f of facts) {
        let m = perItem.get(f.line_item_id);
        if (!m) perItem.set(f.line_item_id, (m = new Map()));
        m.set(f.hour, (m.get(f.hour) ?? 0) + (goalType.get(f.line_item_id) === 'clicks' ? f.clicks : f.impressions));
      }
      const rows: { line_item_id: string; hour: string; delivered: number; cumulative: number; target: number }[] = [];
      const lineItems = items.map((li) => {
        const m = perItem.get(li.id) ?? new Map<number, number>();
        let cum = 0;
        let delivered = 0;
        for (let h = from; h <= r.toHour; h += HOUR_MS) {
          const v = m.get(h) ?? 0;
          cum += v;
          if (h < r.fromHour) continue;
          delivered += v;
          const x = (h + HOUR_MS - li.start_at) / (li.end_at - li.start_at);
          rows.push({ line_item_id: li.id, hour: new Date(h).toISOString(), delivered: v, cumulative: cum, target: Math.round(li.goal * targetShare(li.delivery, x)) });
        }
        return { id: li.id, name: li.name, goal_type: li.goal_type, goal: li.goal, delivery: li.delivery, start_at: li.start_at, end_at: li.end_at, delivered_in_range: delivered, delivered_to_date: cum };
      });
      return respond(req, reply, { campaign: id, from: r.from, to: r.to, line_items: lineItems, rows }, `delivery-${id}`);
    });

    app.get('/api/campaigns/:id/why-not', {
      schema: { tags: ['campaigns'], summary: "why the campaign's line items were not served (ad server counters since its start)", params: IdParam },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      await scopeOf(req).campaign(id);
      const items = new Set((await o.store.listLineItems({ campaign_id: id })).map((li) => li.id));
      const samples = o.monitor.latest('adserver', 'sluice_adserver_not_served_total');
      const rows = samples.flatMap((s) => {
        const lineItem = s.labels.line_item;
        return lineItem !== undefined && items.has(lineItem) ? [{ line_item_id: lineItem, reason: s.labels.reason ?? '', count: s.value }] : [];
      });
      return respond(req, reply, { campaign: id, source: o.monitor.has('adserver') ? 'adserver /metrics' : 'no ad server configured (--metrics-urls adserver=...)', rows }, `why-not-${id}`);
    });
  };
}
