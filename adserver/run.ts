import { LRUCache } from 'lru-cache';
import uWS from 'uWebSockets.js';
import type { Logger } from '../common/logger.js';
import { HOUR_MS } from '../common/time.js';
import type { CampaignSnapshot, Slot } from '../store/model.js';
import { CampaignIndex, type PacingRegistry } from './campaign-index.js';
import { DecisionStats } from './decide.js';
import { FrequencyCaps } from './frequency-caps.js';
import { AdMetrics } from './metrics.js';
import { planAll, type PacingUnit } from './pacing.js';
import { buildAdApp, type AdServerState } from './server.js';

/** What the ad server reads from the report store. */
export interface AdStore {
  campaignRevision(): Promise<number>;
  loadCampaignSnapshot(): Promise<CampaignSnapshot>;
  deliveredByLineItem(since: number): Promise<Map<string, { impressions: number; clicks: number }>>;
  getSlot(id: string): Promise<Slot | undefined>;
}

export interface AdServerOptions {
  host: string;
  port: number;
  trackingUrl: string;
  beaconSecret: string;
  decisionTtlSeconds: number;
  reloadIntervalMs: number;
  planIntervalMs: number;
  capMaxDevices: number;
  maxAds: number;
  prefetchMaxDays: number;
}

export interface RunningAdServer {
  url: string;
  port: number;
  state: AdServerState;
  /** Reloads now if the revision changed; resolves when done (tests await it). */
  reload(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts the ad server: loads the campaign index, then serves from memory while it polls
 * the store's revision (changes are live within one reload interval), re-plans pacing every
 * plan interval with delivered counts fed back by the jobs, and keeps serving what it has
 * when the store is down (logging once per outage).
 */
export async function startAdServer(o: AdServerOptions, store: AdStore, log: Logger): Promise<RunningAdServer> {
  const pacing: PacingRegistry = new Map();
  const metrics = new AdMetrics();
  const stats = new DecisionStats();
  // By unit key: a rebuild may replace the unit object (goal or flight changed).
  const pending: { key: string; until: number }[] = [];
  let storeDown = false;
  const outage = (what: string, err: unknown) => {
    metrics.reloadErrors++;
    if (!storeDown) log.error({ err: (err as Error).message, what }, 'report store unreachable; serving from memory and retrying');
    storeDown = true;
  };
  const recovered = () => {
    if (storeDown) log.info('report store reachable again');
    storeDown = false;
  };
  // The lru-cache over store look-ups: unknown slots are asked about once per 5 s, not per request.
  const slotCache = new LRUCache<string, { slot: Slot | null }>({
    max: 10_000,
    ttl: 5000,
    fetchMethod: async (id) => ({ slot: (await store.getSlot(id)) ?? null }),
  });
  let index = new CampaignIndex(-1);
  const state: AdServerState = {
    index, caps: new FrequencyCaps(o.capMaxDevices), stats, metrics,
    answer: { trackingUrl: o.trackingUrl.replace(/\/$/, ''), secret: o.beaconSecret, ttlMs: o.decisionTtlSeconds * 1000 },
    maxAds: o.maxAds, prefetchMaxDays: o.prefetchMaxDays,
    unknownSlot(slot) {
      if (slotCache.has(slot)) {
        metrics.slotCacheHits++;
        return;
      }
      metrics.slotCacheMisses++;
      void slotCache.fetch(slot).then((hit) => {
        if (hit?.slot) void reload(true);
      }, (err: unknown) => outage('slot look-up', err));
    },
    addPending(unit, until) {
      pending.push({ key: (unit as PacingUnit).key, until });
    },
    extraMetrics: () => ({ frequency_cap_devices: state.caps.size, prefetch_pending: pending.length, store_up: storeDown ? 0 : 1 }),
    health: () => ({ status: 'ok', revision: state.index.revision, line_items: state.index.lineItems.length, slots: state.index.slots.size, store: storeDown ? 'down' : 'up' }),
  };

  let reloading: Promise<boolean> | null = null;
  async function reload(force = false): Promise<boolean> {
    if (reloading) return reloading;
    reloading = (async () => {
      try {
        const rev = await store.campaignRevision();
        recovered();
        if (!force && rev === state.index.revision) return false;
        const snap = await store.loadCampaignSnapshot();
        const next = CampaignIndex.build(snap, pacing, log);
        stats.resize(next.lineItems.length);
        state.index = next;
        metrics.reloads++;
        log.info({ revision: next.revision, lineItems: next.lineItems.length, skipped: next.skipped.length }, 'campaign index loaded');
        return true;
      } catch (err) {
        outage('reload', err);
        return false;
      } finally {
        reloading = null;
      }
    })();
    return reloading;
  }

  let lastPlan = Date.now();
  async function replan(): Promise<void> {
    const now = Date.now();
    for (let i = pending.length - 1; i >= 0; i--) {
      if (pending[i]!.until <= now) {
        const unit = pacing.get(pending[i]!.key);
        if (unit && unit.pending > 0) unit.pending -= 1;
        pending.splice(i, 1);
      }
    }
    try {
      // Fed-back deliveries cover the flights of live line items; a month back is plenty.
      const fed = await store.deliveredByLineItem(now - 31 * 24 * HOUR_MS);
      for (const [key, unit] of pacing) {
        // Split units (line item|country) would get the whole line item's count: skip them
        // until the feedback is per country; their own counts pace them meanwhile.
        if (key.includes('|')) continue;
        const d = fed.get(key);
        if (d) unit.fedBack = d.impressions;
      }
      recovered();
    } catch (err) {
      outage('delivery feedback', err);
    }
    planAll(pacing.values(), now, now - lastPlan, o.planIntervalMs);
    lastPlan = now;
  }

  await reload(true);
  await replan();
  const app = buildAdApp(state);
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(o.host, o.port, (sock) => (sock ? resolve(sock) : reject(new Error(`cannot listen on ${o.host}:${o.port}`))));
  });
  const port = uWS.us_socket_local_port(listenSocket);
  const reloadTimer = setInterval(() => void reload(), o.reloadIntervalMs);
  const planTimer = setInterval(() => void replan(), o.planIntervalMs);
  const url = `http://${o.host}:${port}`;
  log.info({ url, revision: state.index.revision }, 'ad server is up');
  return {
    url, port, state, reload: () => reload(),
    async close() {
      clearInterval(reloadTimer);
      clearInterval(planTimer);
      uWS.us_listen_socket_close(listenSocket);
      await reloading;
    },
  };
}
