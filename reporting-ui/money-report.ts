/**
 * Spend and revenue of line items from their counts, by the rules of common/money.ts, for the
 * money routes. A range is the moments [a, b); flat fees accrue only up to `now`.
 */
import { countSpendFraction, flatSpendFraction, flatSpendTo, roundHalfUp, revenueOf } from '../common/money.js';
import type { LineItem } from '../store/model.js';

type Priced = Pick<LineItem, 'price_model' | 'price_micros' | 'start_at' | 'end_at'>;

/** Spend in micros over [a, b) of `impressions` and `clicks` counted there: cpm rounds once, a flat fee is S(b) - S(a). */
export function spendOver(li: Priced, impressions: number, clicks: number, a: number, b: number, now: number): number {
  if (li.price_model === 'flat') return flatSpendTo(li.price_micros, li.start_at, li.end_at, Math.min(b, now)) - flatSpendTo(li.price_micros, li.start_at, li.end_at, Math.min(a, now));
  const [n, d] = countSpendFraction(li.price_model, li.price_micros, impressions, clicks);
  return Number(roundHalfUp(n, d));
}

/**
 * Spend per consecutive period (days) whose counts are given, telescoped: period i is
 * R(counts up to i) - R(counts before i), so the periods add up exactly to the range's spend
 * (one rounding of the summed counts); each differs from its own rounding by under a micro.
 * `bounds` has one more entry than the counts: the periods' starts and the range's end.
 */
export function spendPerPeriod(li: Priced, impressions: readonly number[], clicks: readonly number[], bounds: readonly number[], now: number): number[] {
  const out: number[] = [];
  let ci = 0;
  let cc = 0;
  let before = 0;
  const [start] = bounds;
  for (const [i, periodImpressions] of impressions.entries()) {
    const periodClicks = clicks[i];
    const end = bounds[i + 1];
    if (periodClicks === undefined || start === undefined || end === undefined) throw new Error('spendPerPeriod: needs clicks for every period and one more bound than periods');
    ci += periodImpressions;
    cc += periodClicks;
    const upTo = spendOver(li, ci, cc, start, end, now);
    out.push(upTo - before);
    before = upTo;
  }
  return out;
}

/**
 * A publisher's revenue in micros from one line item on one of its apps (or slots) over
 * [a, b): the exact spend there times the share, rounded once. A flat fee's spend over the
 * range is split among the apps by their share of the line item's impressions in the range.
 */
export function revenueFrom(li: Priced, impressions: number, clicks: number, lineItemImpressions: number, bps: number, a: number, b: number, now: number): number {
  if (li.price_model === 'flat') {
    if (lineItemImpressions <= 0) return 0;
    const [n1, d] = flatSpendFraction(li.price_micros, li.start_at, li.end_at, Math.min(b, now));
    const [n0] = flatSpendFraction(li.price_micros, li.start_at, li.end_at, Math.min(a, now));
    return revenueOf([(n1 - n0) * BigInt(impressions), d * BigInt(lineItemImpressions)], bps);
  }
  return revenueOf(countSpendFraction(li.price_model, li.price_micros, impressions, clicks), bps);
}
