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

/** The fleet pacing of the options, or null when off or when the store cannot take the counts. */
function fleetPacing(o: AdServerOptions, store: AdStore, log: Logger): FleetPacing | null {
  const fleetStore = store.publishAdUnits && store.fleetDelivery && store.pruneFleet ? (store as FleetDeliveryStore) : null;
  return o.fleet !== false && fleetStore
    ? new FleetPacing(fleetStore, { nodeId: fleetNodeId(o.nodeId ?? ''), leaseMs: o.fleetLeaseMs || 3 * o.planIntervalMs, countImpressions: o.goalsCount !== 'decisions', pruneAfterMs: 35 * 24 * HOUR_MS }, log)
    : null;
}

/**
 * What the ad server does between requests: refreshes of the campaign index, delivery
 * feedback, pacing plans and budget stops, and what /healthz tells of them. `state` is
 * what the HTTP layer sees.
 */
class AdRuntime {
  readonly pacing: PacingRegistry = new Map();
  readonly metrics = new AdMetrics();
  readonly stats = new DecisionStats();
  readonly storeTimeoutMs: number;
  readonly staleAfterMs: number;
  readonly fleet: FleetPacing | null;
  readonly state: AdServerState;
  storeDown = false;
  // The budget stop (budget.ts): the model's campaigns and line items, and the campaigns over budget.
  budgetModel: BudgetModel = { campaigns: [], line_items: [] };
  stopped = new Set<string>();
  // What /healthz tells: when a refresh last succeeded, whether the last one failed and why,
  // and since when the one in flight has waited for the store (0: none in flight).
  lastRefreshOk = 0;
  refreshFailed = false;
  lastError: { at: number; message: string } | null = null;
  refreshStarted = 0;
  refreshTimedOut = false;
  reloading: Promise<boolean> | null = null;
  feeding: Promise<void> | null = null;
  lastPlan = Date.now();
  planning: Promise<void> | null = null;

  constructor(readonly o: AdServerOptions, readonly store: AdStore, readonly log: Logger) {
    this.storeTimeoutMs = o.storeTimeoutMs ?? 5000;
    // A refresh may take up to the timeout; three intervals more and the index counts as stale.
    this.staleAfterMs = this.storeTimeoutMs + 3 * o.reloadIntervalMs;
    this.fleet = fleetPacing(o, store, log);
    this.state = adServerState(this);
  }

  applyBudgets(): void {
    const campaignOf = new Map(this.state.index.lineItems.map((l) => [l.id, l.campaignId]));
    for (const [key, unit] of this.pacing) {
      const bar = key.indexOf('|');
      unit.overBudget = this.stopped.has(campaignOf.get(bar < 0 ? key : key.slice(0, bar)) ?? '');
    }
  }

  outage(what: string, err: unknown): void {
    this.metrics.reloadErrors++;
    if (!this.storeDown) this.log.error({ err: (err as Error).message, what }, 'report store unreachable; serving from memory and retrying');
    this.storeDown = true;
  }

  recovered(): void {
    if (this.storeDown) this.log.info('report store reachable again');
    this.storeDown = false;
  }

  storeState(now: number): 'up' | 'down' | 'stale' {
    if (this.refreshFailed || this.refreshTimedOut || this.lastRefreshOk === 0 || (this.refreshStarted > 0 && now - this.refreshStarted > this.storeTimeoutMs)) return 'down';
    return now - this.lastRefreshOk > this.staleAfterMs ? 'stale' : 'up';
  }

  async refresh(force: boolean): Promise<boolean> {
    try {
      const rev = await this.store.campaignRevision();
      let changed = false;
      if (force || rev !== this.state.index.revision) {
        const snap = await this.store.loadCampaignSnapshot();
        const next = CampaignIndex.build(snap, this.pacing, this.log);
        this.stats.resize(next.lineItems.length);
        this.state.index = next;
        // Only what the budgets need: holding the whole snapshot cost 109 MB at 100k line items.
        this.budgetModel = budgetedPart(snap);
        this.applyBudgets();
        this.metrics.reloads++;
        changed = true;
        // New units serve unthrottled until planned: plan now, not at the next interval (skipped while the first load runs).
        if (this.lastRefreshOk > 0) void this.replan();
        this.log.info({ revision: next.revision, lineItems: next.lineItems.length, skipped: next.skipped.length }, 'campaign index loaded');
      }
      this.lastRefreshOk = Date.now();
      this.refreshFailed = false;
      this.recovered();
      return changed;
    } catch (err) {
      this.refreshFailed = true;
      this.lastError = { at: Date.now(), message: String((err as Error).message).slice(0, 200) };
      this.outage('reload', err);
      return false;
    }
  }

  reload(force = false): Promise<boolean> {
    if (!this.reloading) {
      this.refreshStarted = Date.now();
      this.refreshTimedOut = false;
      this.reloading = this.refresh(force).finally(() => {
        this.reloading = null;
        this.refreshStarted = 0;
        this.refreshTimedOut = false;
      });
    }
    // Each caller waits at most the timeout; the refresh itself goes on until the store answers.
    return bounded(this.reloading, this.storeTimeoutMs, false, () => {
      if (this.refreshTimedOut) return;
      this.refreshTimedOut = true;
      const err = new Error(`the store did not answer a campaign refresh within ${this.storeTimeoutMs} ms`);
      this.lastError = { at: Date.now(), message: err.message };
      this.outage('reload', err);
    });
  }

  feedBack(now: number): Promise<void> {
    // Fed-back deliveries cover the flights of live line items; a month back is plenty.
    // Budgets need the spend since their campaigns' flights began, however long ago.
    const budgetFrom = budgetSince(this.budgetModel);
    const since = budgetFrom === null ? now - 31 * 24 * HOUR_MS : Math.min(now - 31 * 24 * HOUR_MS, budgetFrom);
    this.feeding ??= this.store.deliveredByLineItem(since).then((fed) => {
      for (const [key, unit] of this.pacing) {
        // Split units (line item|country) would get the whole line item's count: skip them
        // until the feedback is per country; their own counts pace them meanwhile.
        if (key.includes('|')) continue;
        const d = fed.get(key);
        if (d) unit.fedBack = d.impressions;
      }
      const over = overBudget(this.budgetModel, fed, Date.now());
      for (const c of over) if (!this.stopped.has(c)) this.log.info({ campaign: c }, 'campaign reached its budget: its line items stop serving');
      this.stopped = over;
      this.applyBudgets();
      this.recovered();
    }, (err: unknown) => this.outage('delivery feedback', err)).finally(() => {
      this.feeding = null;
    });
    return this.feeding;
  }

  async replanOnce(): Promise<void> {
    const now = Date.now();
    const storeTimeoutMs = this.storeTimeoutMs;
    // A hung store delays the plan by the timeout at most: pacing goes on with the counts it has.
    await bounded(this.feedBack(now), storeTimeoutMs, undefined, () => this.outage('delivery feedback', new Error(`no answer within ${storeTimeoutMs} ms`)));
    const at = Date.now();
    const since = at - this.lastPlan;
    this.lastPlan = at;
    if (this.fleet) await bounded(this.fleet.plan(this.pacing, at, since, this.o.planIntervalMs), storeTimeoutMs, false, () => this.outage('fleet pacing', new Error(`no answer within ${storeTimeoutMs} ms`)));
    else planAll(this.pacing.values(), at, since, this.o.planIntervalMs);
  }

  replan(): Promise<void> {
    this.planning ??= this.replanOnce().finally(() => {
      this.planning = null;
    });
    return this.planning;
  }
}

/** /healthz's answer: 503 unless the store is up; serving from memory either way. */
function health(rt: AdRuntime): { ok: boolean; body: object } {
  const now = Date.now();
  const store = rt.storeState(now);
  const ix = rt.state.index;
  const { lastRefreshOk, refreshStarted, lastError } = rt;
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
}

/** What the HTTP layer sees of the runtime (its index starts empty, revision -1, until the first load). */
function adServerState(rt: AdRuntime): AdServerState {
  const { o, metrics, fleet } = rt;
  // The lru-cache over store look-ups: unknown slots are asked about once per 5 s, not per request.
  const slotCache = new LRUCache<string, { slot: Slot | null }>({
    max: 10_000,
    ttl: 5000,
    fetchMethod: async (id) => ({ slot: (await rt.store.getSlot(id)) ?? null }),
  });
  const state: AdServerState = {
    index: new CampaignIndex(-1), caps: new FrequencyCaps(o.capMaxDevices, (o.capMaxMb ?? 1024) * 1024 * 1024), stats: rt.stats, metrics,
    answer: { trackingUrl: o.trackingUrl.replace(/\/$/, ''), secret: o.beaconSecret, ttlMs: o.decisionTtlSeconds * 1000 },
    maxAds: o.maxAds, prefetchMaxDays: o.prefetchMaxDays,
    unknownSlot(slot) {
      if (slotCache.has(slot)) {
        metrics.slotCacheHits++;
        return;
      }
      metrics.slotCacheMisses++;
      void slotCache.fetch(slot).then((hit) => {
        if (hit?.slot) void rt.reload(true);
      }, (err: unknown) => rt.outage('slot look-up', err));
    },
    extraMetrics: () => {
      const now = Date.now();
      return {
        frequency_cap_devices: state.caps.size, frequency_cap_bytes: state.caps.bytes, live_decisions: fleet?.liveDecisions ?? 0, pending_decisions: fleet?.pending ?? 0, fleet_nodes: fleet?.nodes ?? 1, fleet_plan_errors: fleet?.errors ?? 0,
        store_up: rt.storeState(now) === 'up' ? 1 : 0, campaigns_over_budget: rt.stopped.size, store_refresh_age_seconds: rt.lastRefreshOk ? (now - rt.lastRefreshOk) / 1000 : -1,
      };
    },
    health: () => health(rt),
  };
  return state;
}

/** Listens on host:port; resolves with the socket, rejects when the port cannot be had. */
function listen(app: uWS.TemplatedApp, host: string, port: number): Promise<uWS.us_listen_socket> {
  return new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(host, port, (sock) => (sock ? resolve(sock) : reject(new Error(`cannot listen on ${host}:${port}`))));
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
  const rt = new AdRuntime(o, store, log);
  const { state, fleet, storeTimeoutMs } = rt;
  await rt.reload(true);
  await rt.replan();
  const app = buildAdApp(state);
  const listenSocket = await listen(app, o.host, o.port);
  const port = uWS.us_socket_local_port(listenSocket);
  const reloadTimer = setInterval(() => void rt.reload(), o.reloadIntervalMs);
  const planTimer = setInterval(() => void rt.replan(), o.planIntervalMs);
  const url = `http://${o.host}:${port}`;
  log.info({ url, revision: state.index.revision }, 'ad server is up');
  return {
    url, port, state, reload: () => rt.reload(), replan: () => rt.replan(),
    async close() {
      clearInterval(reloadTimer);
      clearInterval(planTimer);
      uWS.us_listen_socket_close(listenSocket);
      // The last counts go to the fleet, so the other nodes see every decision this one made.
      if (fleet) await bounded(rt.replan(), storeTimeoutMs, undefined, () => undefined);
      if (rt.reloading) await bounded(rt.reloading, storeTimeoutMs, false, () => undefined);
    },
  };
}
