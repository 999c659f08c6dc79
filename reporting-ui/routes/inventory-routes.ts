/**
 * Inventory (publishers for their apps, admins for all): ad requests, fills (impressions) and
 * fill rate per slot, and per slot and UTC day, from the daily ad rollup; and why requests of
 * each slot got no ad, from the ad server's /metrics (sluice_adserver_no_fill_total, counters
 * since the ad server started). A publisher sees its own apps' slots only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { RangeQuery, type RangeQueryT } from '../report-query.js';
import { respond } from '../respond.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { parseRange } from '../time-range.js';

/** Fill rate in percent, two decimals; null with no requests. */
const fill = (impressions: number, requests: number): number | null => (requests > 0 ? Math.round((impressions / requests) * 1e4) / 100 : null);

export function inventoryRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/inventory', {
      schema: { tags: ['apps'], summary: "requests, fills and fill rate per slot and per slot and UTC day; the ad server's no-fill reasons per slot", querystring: Type.Object({ ...RangeQuery, app: Type.Optional(Type.String({ description: "an app id or 'all' (default)" })) }) },
    }, async (req, reply) => {
      const q = req.query as RangeQueryT & { app?: string };
      const r = parseRange(q);
      const ids = await scopeOf(req).appIds(q.app ?? 'all');
      const [days, slots, apps] = await Promise.all([o.store.slotDays(ids, r.fromDay, r.toDay), o.store.listSlots(), scopeOf(req).visibleApps()]);
      const idSet = new Set(ids);
      const mine = new Map(slots.filter((s) => idSet.has(s.app_id)).map((s) => [s.id, s]));
      const appName = new Map(apps.map((a) => [a.id, a.name]));
      const slotName = (id: string) => (id === '' ? '(no slot)' : (mine.get(id)?.name ?? '(unknown slot)'));
      const bySlot = new Map<string, { app_id: string; app: string; slot_id: string; slot: string; requests: number; impressions: number; fill_rate_pct: number | null }>();
      for (const d of days) {
        const k = `${d.app_id}|${d.slot_id}`;
        let x = bySlot.get(k);
        if (!x) bySlot.set(k, (x = { app_id: d.app_id, app: appName.get(d.app_id) ?? d.app_id, slot_id: d.slot_id, slot: slotName(d.slot_id), requests: 0, impressions: 0, fill_rate_pct: null }));
        x.requests += d.requests;
        x.impressions += d.impressions;
      }
      for (const x of bySlot.values()) x.fill_rate_pct = fill(x.impressions, x.requests);
      const samples = o.monitor.latest('adserver', 'sluice_adserver_no_fill_total');
      // Only the slots of the user's apps (admins: every slot, and those counted together as _other).
      const everything = scopeOf(req).isAdmin && (q.app ?? 'all') === 'all';
      const noFill = samples
        .flatMap((s) => {
          const slot = s.labels.slot;
          if (slot === undefined || !(mine.has(slot) || (everything && slot === '_other'))) return [];
          return [{ slot_id: slot, slot: slot === '_other' ? '(other slots)' : slotName(slot), app_id: mine.get(slot)?.app_id ?? '', reason: s.labels.reason ?? '', count: s.value }];
        })
        .sort((a, b) => b.count - a.count || (a.slot_id < b.slot_id ? -1 : 1));
      return respond(req, reply, {
        from: r.from, to: r.to, from_day: r.fromDay, to_day: r.toDay,
        slots: [...bySlot.values()].sort((a, b) => b.requests - a.requests || (a.slot_id < b.slot_id ? -1 : 1)),
        days: days.map((d) => ({ day: d.day, app_id: d.app_id, slot_id: d.slot_id, slot: slotName(d.slot_id), requests: d.requests, impressions: d.impressions, fill_rate_pct: fill(d.impressions, d.requests) })),
        no_fill: noFill,
        no_fill_source: o.monitor.has('adserver') ? 'adserver /metrics (since the ad server started)' : 'no ad server configured (--metrics-urls adserver=...)',
      }, 'inventory');
    });
  };
}
