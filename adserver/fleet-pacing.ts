/**
 * Pacing across a fleet of ad server nodes that share nothing but the report store
 * (store/fleet.ts). At each plan a node writes, per pacing unit, the decisions it made, those
 * still pending (token not expired) and its eligible traffic; then it reads the fleet's sums,
 * and tracking's impression beacons, and plans on them:
 *
 *  - delivered = max(the fleet's impressions, the jobs' fed-back count) + the fleet's pending
 *    decisions (live decisions less the impressions of live decisions), so a decision that never
 *    renders stops counting when its token expires; with `countImpressions` off, or for units
 *    split by country (a beacon does not tell the country), every decision counts;
 *  - the serve probability spreads what the curve needs over the fleet's eligible traffic,
 *    so every node applies the same probability to its own share of it;
 *  - the hard stop: until its next plan a node may make at most its share of the fleet's eligible
 *    traffic times what is left of the goal. The shares of the nodes add up to one, so the
 *    fleet passes the goal only by what other nodes delivered between two nodes' reads of the
 *    store: at most one plan interval of the fleet's delivery.
 *
 * A node that stops writing (it died) drops out of the traffic shares after `leaseMs`; what it
 * delivered stays counted, and its pending decisions count until their tokens expire (they may
 * still render, and their impressions settle them). A new node is counted from its first write.
 */
import type { Logger } from '../common/logger.js';
import type { FleetSnapshot, FleetStore } from '../store/fleet.js';
import type { PacingUnit } from './pacing.js';

export type FleetDeliveryStore = Pick<FleetStore, 'publishAdUnits' | 'fleetDelivery' | 'pruneFleet'>;

interface FleetPacingOptions {
  /** Unique to this process's life (a restart is a new node). */
  nodeId: string;
  leaseMs: number;
  /** Impressions (beacons) count toward goals, decisions only while pending; false: every decision counts. */
  countImpressions: boolean;
  /** Rows not written for this long are deleted (nodes long gone). */
  pruneAfterMs: number;
}

/** The fleet's delivered and pending counts for one unit (see the module comment). */
function fleetCounts(snap: FleetSnapshot, key: string, countImpressions: boolean): { delivered: number; pending: number } {
  const u = snap.units.get(key);
  if (!countImpressions || key.includes('|')) return { delivered: u?.decided ?? 0, pending: 0 };
  const imp = snap.impressions.get(key);
  return { delivered: imp?.impressions ?? 0, pending: Math.max(0, (u?.decided_live ?? 0) - (imp?.impressions_live ?? 0)) };
}

export class FleetPacing {
  /** Live ad server nodes at the last plan (this one included). */
  nodes = 0;
  /** Plans that could not write or read the store (the last view stayed). */
  errors = 0;
  /** This node's decisions with a live token at the last plan, summed over units. */
  liveDecisions = 0;
  /** The fleet's pending decisions at the last plan (live decisions without their impression yet), summed over units. */
  pending = 0;
  private busy = false;
  /** A fleet plan succeeded once: until then a failing store leaves each unit on its own counts. */
  private hadView = false;
  private lastPrune = 0;

  constructor(private readonly store: FleetDeliveryStore, readonly o: FleetPacingOptions, private readonly log: Logger) {}

  /**
   * One plan of every unit on the fleet's counts. When the store fails, each unit keeps the
   * last view and allowance (the fleet still stops at its goal; it may fall behind until the
   * store is back) and is re-planned on them. Answers whether the fleet's view was fresh.
   */
  async plan(units: ReadonlyMap<string, PacingUnit>, now: number, sinceMs: number, horizonMs: number): Promise<boolean> {
    const list = [...units.values()];
    for (const u of list) u.observe(sinceMs);
    if (this.busy) {
      // The previous plan still waits for the store: plan on what we have, never stack calls.
      for (const u of list) u.plan(now, horizonMs);
      return false;
    }
    this.busy = true;
    const ownAt = new Float64Array(list.length);
    let liveDecisions = 0;
    const rows = list.map((u, i) => {
      ownAt[i] = u.own;
      const live = u.liveDecisions(now);
      liveDecisions += live;
      return { unit_key: u.key, decided: u.own, decided_live: live, live_until: u.liveUntil, eligible_rate: u.eligibleRate };
    });
    this.liveDecisions = liveDecisions;
    try {
      await this.store.publishAdUnits(this.o.nodeId, rows, now);
      const snap = await this.store.fleetDelivery(now - this.o.leaseMs, now);
      this.nodes = snap.nodes;
      let pending = 0;
      for (let i = 0; i < list.length; i++) {
        const u = list[i]!;
        const f = snap.units.get(u.key);
        const c = fleetCounts(snap, u.key, this.o.countImpressions);
        pending += c.pending;
        u.settleFleet({ delivered: c.delivered, pending: c.pending, eligibleRate: f?.eligible_rate ?? u.eligibleRate, nodes: snap.nodes }, u.own - ownAt[i]!);
        u.plan(now, horizonMs);
      }
      this.pending = pending;
      this.hadView = true;
      if (now - this.lastPrune > this.o.pruneAfterMs / 30) {
        this.lastPrune = now;
        const gone = await this.store.pruneFleet(now - this.o.pruneAfterMs);
        if (gone > 0) this.log.info({ rows: gone }, 'fleet rows of nodes long gone deleted');
      }
      return true;
    } catch (err) {
      if (this.errors++ === 0 || this.errors % 100 === 0) this.log.error({ err: (err as Error).message, errors: this.errors }, 'fleet pacing: cannot share counts through the report store; planning on the last view');
      for (const u of list) {
        // Never had the fleet's view: count this node's own decisions (as before fleet pacing) rather than none.
        if (!this.hadView) u.settleLocal();
        u.plan(now, horizonMs);
      }
      return false;
    } finally {
      this.busy = false;
    }
  }
}
