import type { DeliveryMode } from '../store/model.js';

import { pendingUntil } from '../common/decision-token.js';
import { targetShare } from '../common/pacing-curve.js';

/** What the fleet told at the last plan about one unit (adserver/fleet-pacing.ts). */
interface FleetView {
  /** Delivered across the fleet when the plan read it: impressions (or every decision, when decisions count). */
  delivered: number;
  /** Decisions across the fleet still waiting for their impression (0 when decisions count). */
  pending: number;
  /** Eligible requests per second across the live nodes, this node's included. */
  eligibleRate: number;
  /** Live ad server nodes. */
  nodes: number;
}

/**
 * One pacing unit: a line item, or a line item in one country when its goal is split by
 * country. Holds what was delivered and the serve probability the last plan set.
 *
 * Delivered is `base + sincePlan`: `base` is what the last plan counted (this node alone, or
 * the fleet's sum through the report store), `sincePlan` the decisions this node made since.
 * A decision counts from the moment it is made; with impressions counting toward goals it
 * stays counted only while its token is live, unless its impression beacon arrived.
 */
export class PacingUnit {
  /** Decisions this node made for the unit since it started (prefetched picks included). */
  own = 0;
  /** Delivered as fed back by the batch jobs (impressions, lagging by a load of the jobs). */
  fedBack = 0;
  /** Delivered as counted by the last plan. */
  base = 0;
  /** Decisions this node made since the last plan. */
  sincePlan = 0;
  /** Decisions this node may still make before the next plan: its share of what is left of the goal (the fleet's hard stop). */
  allowance = Infinity;
  /** When the last of this node's live decisions expires, as of the last liveDecisions(); 0: none. */
  liveUntil = 0;
  /** This node's decisions by when they stop being pending (common/decision-token.ts pendingUntil). */
  // Made on the first booking: most of 100k line items never book on a node (a Map each was 19 MB).
  live: Map<number, number> | null = null;
  /** Requests that were eligible for this unit since the last plan. */
  eligible = 0;
  /** Eligible requests per second at this node, smoothed over plans. */
  eligibleRate = 0;
  /** Eligible requests per second across the fleet (0: this node alone). */
  fleetRate = 0;
  /** Probability of taking an eligible request, set by the last plan. */
  serveP = 1;
  /** How far behind its curve the unit is at the next plan point (weight in the lottery). */
  need = 1;
  /** Its campaign's spend reached the budget (adserver/budget.ts): serves nothing. */
  overBudget = false;

  constructor(
    readonly key: string,
    readonly goal: number,
    readonly start: number,
    readonly end: number,
    readonly mode: DeliveryMode,
  ) {}

  /** Takes over what `old` counted (the goal or flight changed, the deliveries stand). */
  carryFrom(old: PacingUnit): void {
    this.own = old.own;
    this.fedBack = old.fedBack;
    this.base = old.base;
    this.sincePlan = old.sincePlan;
    this.allowance = old.allowance;
    this.live = old.live;
    this.eligible = old.eligible;
    this.eligibleRate = old.eligibleRate;
    this.fleetRate = old.fleetRate;
    this.overBudget = old.overBudget;
  }

  get delivered(): number {
    return this.base + this.sincePlan;
  }

  /** Reached its goal, its allowance until the next plan, or its campaign's budget, or outside its flight: serves nothing. */
  done(now: number): boolean {
    return now < this.start || now >= this.end || this.delivered >= this.goal || this.sincePlan >= this.allowance || this.overBudget;
  }

  /** Counts one decision made at `iat` whose token expires at `exp`. */
  book(iat: number, exp: number): void {
    this.own++;
    this.sincePlan++;
    const until = pendingUntil(iat, exp);
    const live = (this.live ??= new Map());
    live.set(until, (live.get(until) ?? 0) + 1);
  }

  /** This node's decisions whose token is still live at `now` (bucketed by pendingUntil). */
  liveDecisions(now: number): number {
    let n = 0;
    let last = 0;
    if (this.live !== null) {
      for (const [until, c] of this.live) {
        if (until <= now) this.live.delete(until);
        else (n += c), (last = Math.max(last, until));
      }
    }
    this.liveUntil = last;
    return n;
  }

  /** Folds the eligible requests counted since the last plan into the smoothed rate. */
  observe(sinceMs: number): void {
    if (sinceMs > 0) {
      const rate = this.eligible / (sinceMs / 1000);
      // Smooth the rate so a quiet minute does not open the tap wide.
      this.eligibleRate = this.eligibleRate === 0 ? rate : 0.5 * this.eligibleRate + 0.5 * rate;
    }
    this.eligible = 0;
  }

  /** This node alone: every decision it made counts as delivered (or the jobs' count, when larger: it includes them with a lag). */
  settleLocal(): void {
    this.base = Math.max(this.own, this.fedBack);
    this.sincePlan = 0;
    this.allowance = Infinity;
    this.fleetRate = 0;
  }

  /**
   * The fleet's view: delivered as the fleet counts it, with `madeSince` decisions of this
   * node not in it yet (made while the plan talked to the store). The allowance until the next
   * plan is this node's share of the fleet's eligible traffic times what is left of the goal,
   * so the nodes together cannot pass the goal on counts they all saw.
   */
  settleFleet(v: FleetView, madeSince: number): void {
    // The jobs' count lags the fleet's impressions but may hold what tracking never published: the larger, then what is pending.
    this.base = Math.max(v.delivered, this.fedBack) + v.pending;
    this.sincePlan = madeSince;
    this.fleetRate = v.eligibleRate;
    // Shares add up to one: by measured traffic, or evenly while the fleet has measured none. A node
    // with none measured yet takes nothing until its next plan (it still counts its eligible requests).
    const share = v.eligibleRate > 0 ? Math.min(1, this.eligibleRate / v.eligibleRate) : 1 / Math.max(1, v.nodes);
    this.allowance = Math.max(0, this.goal - this.base) * share;
  }

  /**
   * Re-plans from what was delivered and the observed request rate (the fleet's, when it is
   * known): the probability that delivers, over the next `horizonMs`, what the curve asks for by then.
   */
  plan(now: number, horizonMs: number): void {
    const span = this.end - this.start;
    const at = Math.min(this.end, now + horizonMs);
    const target = this.goal * targetShare(this.mode, span > 0 ? (at - this.start) / span : 1);
    const delivered = this.delivered;
    const need = Math.min(this.goal, target) - delivered;
    this.need = Math.max(0, need);
    if (this.mode === 'asap') {
      this.serveP = delivered < this.goal ? 1 : 0;
      this.need = Math.max(0, this.goal - delivered);
      return;
    }
    if (need <= 0) {
      this.serveP = 0;
      return;
    }
    const rate = this.fleetRate > 0 ? this.fleetRate : this.eligibleRate;
    const expected = rate * ((at - now) / 1000);
    // Before the first rate is known, serve freely; the next plan corrects.
    this.serveP = expected <= 0 ? 1 : Math.min(1, need / expected);
  }
}

/** Re-plans every unit of a node on its own (no fleet); call once a minute (the server) or per simulated minute (tests). */
export function planAll(units: Iterable<PacingUnit>, now: number, sinceMs: number, horizonMs: number): void {
  for (const u of units) {
    u.observe(sinceMs);
    u.liveDecisions(now);
    u.settleLocal();
    u.plan(now, horizonMs);
  }
}
