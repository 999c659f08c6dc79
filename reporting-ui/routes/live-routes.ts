import type { FastifyInstance } from 'fastify';
import type { LiveTick } from '../live-feed.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';

/**
 * GET /api/live (WebSocket): one message a second, { events_per_second, events } with only the
 * apps the user may see (events/s too: the sum over their apps; admins get tracking's whole rate).
 */
export function liveRoutes(o: UiAppOptions) {
  return async (app: FastifyInstance) => {
    app.get('/api/live', { websocket: true, schema: { tags: ['live'], summary: 'WebSocket: events/s and the latest events of your apps, once a second' } }, async (socket, req) => {
      const scope = scopeOf(req);
      const apps = scope.isAdmin ? null : new Set((await scope.visibleApps()).map((a) => a.id));
      const send = (msg: unknown) => socket.readyState === 1 && socket.send(JSON.stringify(msg));
      send({ kind: 'hello', enabled: o.live.enabled, error: o.live.enabled ? null : 'no tracking tier configured (--tracking-url)', events: o.live.recentFor(apps) });
      const off = o.live.subscribe((t: LiveTick) => {
        const events = apps ? t.events.filter((e) => apps.has(e.app_id)) : t.events;
        let eps = t.events_per_second;
        if (apps) {
          eps = 0;
          for (const a of apps) eps += t.rates.get(a) ?? 0;
        }
        const perApp = [...t.rates].filter(([a]) => !apps || apps.has(a)).map(([app_id, events_per_second]) => ({ app_id, events_per_second }));
        send({ kind: 'tick', at: t.at, events_per_second: Math.round(eps * 10) / 10, per_app: perApp, events });
      });
      socket.on('close', off);
    });
  };
}
