import type { DeliveryMode } from '../store/model.js';

import { targetShare } from '../common/pacing-curve.js';

export { targetShare };

/**
 * One pacing unit: a line item, or a line item in one country when its goal is split by
 * country. Holds what was delivered and the serve probability the last plan set.
 */
export class PacingUnit {
  /** Impressions (or clicks, for click goals) this server delivered since it started. */
  own = 0;
  /** Delivered as fed back by the batch jobs, before this server started counting. */
  fedBack = 0;
  /** Prefetched ads not yet shown nor expired: they count as delivered, pending. */
  pending = 0;
  /** Requests that were eligible for this unit since the last plan. */
  eligible = 0;
  /** Eligible requests per second, smoothed over plans. */
  eligibleRate = 0;
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

  /**
   * What counts as delivered: this server's own count and the jobs' fed-back count overlap
   * (the feedback includes what this server served, with a lag), so the larger of the two,
   * plus prefetched ads still pending.
   */
  get delivered(): number {
    return Math.max(this.own, this.fedBack) + this.pending;
  }

  /** Reached its goal or its campaign's budget, or outside its flight: serves nothing. */
  done(now: number): boolean {
    return now < this.start || now >= this.end || this.delivered >= this.goal || this.overBudget;
  }

  /**
   * Re-plans from what was delivered and the observed request rate: the probability that
   * delivers, over the next `horizonMs`, what the curve asks for by then.
   */
  plan(now: number, sinceMs: number, horizonMs: number): void {
    if (sinceMs > 0) {
      const rate = this.eligible / (sinceMs / 1000);
      // Smooth the rate so a quiet minute does not open the tap wide.
      this.eligibleRate = this.eligibleRate === 0 ? rate : 0.5 * this.eligibleRate + 0.5 * rate;
    }
    this.eligible = 0;
    const span = this.end - this.start;
    const at = Math.min(this.end, now + horizonMs);
    const target = this.goal * targetShare(this.mode, span > 0 ? (at - this.start) / span : 1);
    const need = Math.min(this.goal, target) - this.delivered;
    this.need = Math.max(0, need);
    if (this.mode === 'asap') {
      this.serveP = this.delivered < this.goal ? 1 : 0;
      this.need = Math.max(0, this.goal - this.delivered);
      return;
    }
    if (need <= 0) {
      this.serveP = 0;
      return;
    }
    const expected = this.eligibleRate * ((at - now) / 1000);
    // Before the first rate is known, serve freely; the next plan corrects.
    this.serveP = expected <= 0 ? 1 : Math.min(1, need / expected);
  }
}

/** Re-plans every unit; call once a minute (the server) or per simulated minute (tests). */
export function planAll(units: Iterable<PacingUnit>, now: number, sinceMs: number, horizonMs: number): void {
  for (const u of units) u.plan(now, sinceMs, horizonMs);
}
