import { LRUCache } from 'lru-cache';
import uWS from 'uWebSockets.js';
import type { Logger } from '../common/logger.js';
import { HOUR_MS } from '../common/time.js';
import type { CampaignSnapshot, Slot } from '../store/model.js';
import { budgetedPart, budgetSince, overBudget, type BudgetModel } from './budget.js';
import { CampaignIndex, type PacingRegistry } from './campaign-index.js';
import { DecisionStats } from './decide.js';
import { FrequencyCaps } from './frequency-caps.js';
import { AdMetrics } from './metrics.js';
import { FleetPacing, type FleetDeliveryStore } from './fleet-pacing.js';
import { planAll } from './pacing.js';
import { fleetNodeId } from '../common/fleet-node.js';
import { buildAdApp, type AdServerState } from './server.js';

/** What the ad server reads from the report store (and writes, for fleet pacing, when it can). */
export interface AdStore extends Partial<FleetDeliveryStore> {
  campaignRevision(): Promise<number>;
  loadCampaignSnapshot(): Promise<CampaignSnapshot>;
  deliveredByLineItem(since: number): Promise<Map<string, { impressions: number; clicks: number }>>;
  getSlot(id: string): Promise<Slot | undefined>;
}

interface AdServerOptions {
  host: string;
  port: number;
  trackingUrl: string;
  beaconSecret: string;
  decisionTtlSeconds: number;
  reloadIntervalMs: number;
  planIntervalMs: number;
  capMaxDevices: number;
  /** Estimated frequency-cap memory, MB (1024 when not given). */
  capMaxMb?: number;
  /** A store read unanswered this long counts as failed (5000 when not given). */
  storeTimeoutMs?: number;
  maxAds: number;
  prefetchMaxDays: number;
  /** Fleet pacing (fleet-pacing.ts): on unless false, when the store can take the counts. */
  fleet?: boolean;
  nodeId?: string;
  /** 0 or not given: three plan intervals. */
  fleetLeaseMs?: number;
  /** 'impressions' when not given. */
  goalsCount?: 'impressions' | 'decisions';
}

export interface RunningAdServer {
  url: string;
  port: number;
  state: AdServerState;
  /** Reloads now if the revision changed; resolves when done, or with false after the store timeout (tests await it). */
  reload(): Promise<boolean>;
  /** Reads the delivery feedback and re-plans now (budgets included); resolves when done (tests await it). */
  replan(): Promise<void>;
  close(): Promise<void>;
}

/** `p`, or `fallback` once `ms` have passed (`p` goes on, and what it does still lands). */
function bounded<T>(p: Promise<T>, ms: number, fallback: T, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => {
      onTimeout();
      resolve(fallback);
    }, ms);
    timer.unref();
    const done = (v: T) => {
      clearTimeout(timer);
      resolve(v);
    };
    p.then(done, () => done(fallback));
  });
}

/**
 * Starts the ad server: loads the campaign index, then serves from memory while it polls
 * the store's revision (changes are live within one reload interval), re-plans pacing every
 * plan interval with delivered counts fed back by the jobs, and keeps serving what it has
 * when the store fails or hangs (logging once per outage). /healthz answers 503 while the
 * last refresh failed, one has waited past the store timeout, or none succeeded lately.
 * A hung store call is waited for, never stacked on: at most one refresh and one delivery
 * read are in flight.
 */
export async function startAdServer(o: AdServerOptions, store: AdStore, log: Logger): Promise<RunningAdServer> {
  const pacing: PacingRegistry = new Map();
  const metrics = new AdMetrics();
  const stats = new DecisionStats();
  const storeTimeoutMs = o.storeTimeoutMs ?? 5000;
  // A refresh may take up to the timeout; three intervals more and the index counts as stale.
  const staleAfterMs = storeTimeoutMs + 3 * o.reloadIntervalMs;
  const fleetStore = store.publishAdUnits && store.fleetDelivery && store.pruneFleet ? (store as FleetDeliveryStore) : null;
  const fleet = o.fleet !== false && fleetStore
    ? new FleetPacing(fleetStore, { nodeId: fleetNodeId(o.nodeId ?? ''), leaseMs: o.fleetLeaseMs || 3 * o.planIntervalMs, countImpressions: o.goalsCount !== 'decisions', pruneAfterMs: 35 * 24 * HOUR_MS }, log)
    : null;
  let storeDown = false;
  // The budget stop (budget.ts): the model's campaigns and line items, and the campaigns over budget.
  let budgetModel: BudgetModel = { campaigns: [], line_items: [] };
  let stopped = new Set<string>();
  function applyBudgets(): void {
    const campaignOf = new Map(state.index.lineItems.map((l) => [l.id, l.campaignId]));
    for (const [key, unit] of pacing) {
      const bar = key.indexOf('|');
      unit.overBudget = stopped.has(campaignOf.get(bar < 0 ? key : key.slice(0, bar)) ?? '');
    }
  }
  const outage = (what: string, err: unknown) => {
    metrics.reloadErrors++;
    if (!storeDown) log.error({ err: (err as Error).message, what }, 'report store unreachable; serving from memory and retrying');
    storeDown = true;
  };
  const recovered = () => {
    if (storeDown) log.info('report store reachable again');
    storeDown = false;
  };
  // What /healthz tells: when a refresh last succeeded, whether the last one failed and why,
  // and since when the one in flight has waited for the store (0: none in flight).
  let lastRefreshOk = 0;
  let refreshFailed = false;
  let lastError: { at: number; message: string } | null = null;
  let refreshStarted = 0;
  let refreshTimedOut = false;
  function storeState(now: number): 'up' | 'down' | 'stale' {
    if (refreshFailed || refreshTimedOut || lastRefreshOk === 0 || (refreshStarted > 0 && now - refreshStarted > storeTimeoutMs)) return 'down';
    return now - lastRefreshOk > staleAfterMs ? 'stale' : 'up';
  }

  // The lru-cache over store look-ups: unknown slots are asked about once per 5 s, not per request.
  const slotCache = new LRUCache<string, { slot: Slot | null }>({
    max: 10_000,
    ttl: 5000,
    fetchMethod: async (id) => ({ slot: (await store.getSlot(id)) ?? null }),
  });
  let index = new CampaignIndex(-1);
  const state: AdServerState = {
    index, caps: new FrequencyCaps(o.capMaxDevices, (o.capMaxMb ?? 1024) * 1024 * 1024), stats, metrics,
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
    extraMetrics: () => {
      const now = Date.now();
      return {
        frequency_cap_devices: state.caps.size, frequency_cap_bytes: state.caps.bytes, live_decisions: fleet?.liveDecisions ?? 0, pending_decisions: fleet?.pending ?? 0, fleet_nodes: fleet?.nodes ?? 1, fleet_plan_errors: fleet?.errors ?? 0,
        store_up: storeState(now) === 'up' ? 1 : 0, campaigns_over_budget: stopped.size, store_refresh_age_seconds: lastRefreshOk ? (now - lastRefreshOk) / 1000 : -1,
      };
    },
    health: () => {
      const now = Date.now();
      const store = storeState(now);
      const ix = state.index;
      return {
        ok: store === 'up',
        body: {
          // Serving from memory either way: 'degraded' says the index may be out of date.
          status: store === 'up' ? 'ok' : 'degraded', store, revision: ix.revision, line_items: ix.lineItems.length, slots: ix.slots.size,
          last_refresh_ok_at: lastRefreshOk ? new Date(lastRefreshOk).toISOString() : null,
          refresh_hanging_ms: refreshStarted > 0 ? now - refreshStarted : 0,
          last_error: lastError?.message ?? null, last_error_at: lastError ? new Date(lastError.at).toISOString() : null,
        },
      };
    },
  };

  async function refresh(force: boolean): Promise<boolean> {
    try {
      const rev = await store.campaignRevision();
      let changed = false;
      if (force || rev !== state.index.revision) {
        const snap = await store.loadCampaignSnapshot();
        const next = CampaignIndex.build(snap, pacing, log);
        stats.resize(next.lineItems.length);
        state.index = next;
        // Only what the budgets need: holding the whole snapshot cost 109 MB at 100k line items.
        budgetModel = budgetedPart(snap);
        applyBudgets();
        metrics.reloads++;
        changed = true;
        // New units serve unthrottled until planned: plan now, not at the next interval (skipped while the first load runs).
        if (lastRefreshOk > 0) void replan();
        log.info({ revision: next.revision, lineItems: next.lineItems.length, skipped: next.skipped.length }, 'campaign index loaded');
      }
      lastRefreshOk = Date.now();
      refreshFailed = false;
      recovered();
      return changed;
    } catch (err) {
      refreshFailed = true;
      lastError = { at: Date.now(), message: String((err as Error).message).slice(0, 200) };
      outage('reload', err);
      return false;
    }
  }

  let reloading: Promise<boolean> | null = null;
  function reload(force = false): Promise<boolean> {
    if (!reloading) {
      refreshStarted = Date.now();
      refreshTimedOut = false;
      reloading = refresh(force).finally(() => {
        reloading = null;
        refreshStarted = 0;
        refreshTimedOut = false;
      });
    }
    // Each caller waits at most the timeout; the refresh itself goes on until the store answers.
    return bounded(reloading, storeTimeoutMs, false, () => {
      if (refreshTimedOut) return;
      refreshTimedOut = true;
      const err = new Error(`the store did not answer a campaign refresh within ${storeTimeoutMs} ms`);
      lastError = { at: Date.now(), message: err.message };
      outage('reload', err);
    });
  }

  let feeding: Promise<void> | null = null;
  function feedBack(now: number): Promise<void> {
    // Fed-back deliveries cover the flights of live line items; a month back is plenty.
    // Budgets need the spend since their campaigns' flights began, however long ago.
    const budgetFrom = budgetSince(budgetModel);
    const since = budgetFrom === null ? now - 31 * 24 * HOUR_MS : Math.min(now - 31 * 24 * HOUR_MS, budgetFrom);
    feeding ??= store.deliveredByLineItem(since).then((fed) => {
      for (const [key, unit] of pacing) {
        // Split units (line item|country) would get the whole line item's count: skip them
        // until the feedback is per country; their own counts pace them meanwhile.
        if (key.includes('|')) continue;
        const d = fed.get(key);
        if (d) unit.fedBack = d.impressions;
      }
      const over = overBudget(budgetModel, fed, Date.now());
      for (const c of over) if (!stopped.has(c)) log.info({ campaign: c }, 'campaign reached its budget: its line items stop serving');
      stopped = over;
      applyBudgets();
      recovered();
    }, (err: unknown) => outage('delivery feedback', err)).finally(() => {
      feeding = null;
    });
    return feeding;
  }

  let lastPlan = Date.now();
  let planning: Promise<void> | null = null;
  async function replanOnce(): Promise<void> {
    const now = Date.now();
    // A hung store delays the plan by the timeout at most: pacing goes on with the counts it has.
    await bounded(feedBack(now), storeTimeoutMs, undefined, () => outage('delivery feedback', new Error(`no answer within ${storeTimeoutMs} ms`)));
    const at = Date.now();
    const since = at - lastPlan;
    lastPlan = at;
    if (fleet) await bounded(fleet.plan(pacing, at, since, o.planIntervalMs), storeTimeoutMs, false, () => outage('fleet pacing', new Error(`no answer within ${storeTimeoutMs} ms`)));
    else planAll(pacing.values(), at, since, o.planIntervalMs);
  }
  function replan(): Promise<void> {
    planning ??= replanOnce().finally(() => {
      planning = null;
    });
    return planning;
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
    url, port, state, reload: () => reload(), replan: () => replan(),
    async close() {
      clearInterval(reloadTimer);
      clearInterval(planTimer);
      uWS.us_listen_socket_close(listenSocket);
      // The last counts go to the fleet, so the other nodes see every decision this one made.
      if (fleet) await bounded(replan(), storeTimeoutMs, undefined, () => undefined);
      if (reloading) await bounded(reloading, storeTimeoutMs, false, () => undefined);
    },
  };
}
