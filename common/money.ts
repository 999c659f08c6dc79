/**
 * Money rules, shared by the store's checks, the ad server's budget stop, the reports and the
 * fleet's ground truth. Money is an integer number of micros (1/1,000,000) of a currency;
 * arithmetic runs on BigInt so that no product loses a digit, and every rounding is ONE
 * half-up rounding of an exact fraction:
 *
 * - cpm:  spend = impressions x price / 1000, from the impressions summed over the range
 * - cpc:  spend = clicks x price (exact)
 * - flat: spend to a moment t = price x (t - start) / (end - start), t clamped to the flight,
 *         so it is 0 before the flight and the whole price after it; over a range [a, b) the
 *         spend is S(b) - S(a) (ranges that touch add up exactly)
 * - publisher revenue = spend x rev_share_bps / 10,000, rounded once from the exact spend
 *   fraction (never from an already rounded spend).
 */

export type PriceModel = 'cpm' | 'cpc' | 'flat';
export const PRICE_MODELS: readonly PriceModel[] = ['cpm', 'cpc', 'flat'];

/** ISO 4217 codes accepted for a campaign, with their minor digits (for display only). */
export const CURRENCIES: Readonly<Record<string, number>> = {
  USD: 2, EUR: 2, GBP: 2, JPY: 0, CAD: 2, AUD: 2, NZD: 2, CHF: 2, SEK: 2, NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2,
  CNY: 2, HKD: 2, SGD: 2, KRW: 0, INR: 2, IDR: 2, THB: 2, MYR: 2, PHP: 2, TWD: 2, BRL: 2, MXN: 2, ARS: 2, CLP: 0,
  COP: 2, ZAR: 2, TRY: 2, ILS: 2, AED: 2, SAR: 2, RUB: 2, UAH: 2, RON: 2, BGN: 2, ISK: 0, KWD: 3, BHD: 3,
};
export const DEFAULT_CURRENCY = 'USD';
export const DEFAULT_REV_SHARE_BPS = 7000;
const MICROS = 1_000_000n;

/** Half-up rounding of num / den (both >= 0, den > 0). */
export function roundHalfUp(num: bigint, den: bigint): bigint {
  return (2n * num + den) / (2n * den);
}

const big = (n: number): bigint => BigInt(Math.trunc(n));

/** The exact spend of counts at a price, as a fraction (numerator, denominator). cpm and cpc only. */
export function countSpendFraction(model: 'cpm' | 'cpc', priceMicros: number, impressions: number, clicks: number): [bigint, bigint] {
  return model === 'cpm' ? [big(impressions) * big(priceMicros), 1000n] : [big(clicks) * big(priceMicros), 1n];
}

/** A flat fee's exact spend up to moment t, as a fraction. */
export function flatSpendFraction(priceMicros: number, start: number, end: number, t: number): [bigint, bigint] {
  const span = Math.max(1, end - start);
  const elapsed = Math.min(span, Math.max(0, t - start));
  return [big(priceMicros) * big(elapsed), big(span)];
}

/** Spend in micros of counts at a price (cpm: one half-up rounding of impressions x price / 1000). */
export function countSpend(model: 'cpm' | 'cpc', priceMicros: number, impressions: number, clicks: number): number {
  const [n, d] = countSpendFraction(model, priceMicros, impressions, clicks);
  return Number(roundHalfUp(n, d));
}

/** A flat fee's spend in micros up to moment t (0 before the flight, the price after it). */
export function flatSpendTo(priceMicros: number, start: number, end: number, t: number): number {
  const [n, d] = flatSpendFraction(priceMicros, start, end, t);
  return Number(roundHalfUp(n, d));
}

/** Revenue in micros of an exact spend fraction at a share in basis points: one half-up rounding. */
export function revenueOf([n, d]: [bigint, bigint], bps: number): number {
  return Number(roundHalfUp(n * big(bps), d * 10_000n));
}

/** eCPM in micros: money per 1000 impressions, half-up; 0 without impressions. */
export function ecpm(micros: number, impressions: number): number {
  return impressions > 0 ? Number(roundHalfUp(big(micros) * 1000n, big(impressions))) : 0;
}

/** Money per click in micros, half-up; 0 without clicks. */
export function perClick(micros: number, clicks: number): number {
  return clicks > 0 ? Number(roundHalfUp(big(micros), big(clicks))) : 0;
}

/**
 * Micros as currency units with grouping, rounded half-up to the currency's minor digits:
 * "$1,234.56" for USD, "1,234.56 EUR" for any other code. Integer arithmetic only.
 */
export function formatMoney(micros: number, currency: string): string {
  const digits = CURRENCIES[currency] ?? 2;
  const neg = micros < 0;
  const unit = 10n ** BigInt(6 - digits);
  const minor = roundHalfUp(big(Math.abs(micros)), unit);
  const scale = 10n ** BigInt(digits);
  const whole = (minor / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = digits > 0 ? '.' + (minor % scale).toString().padStart(digits, '0') : '';
  const sign = neg ? '-' : '';
  return currency === 'USD' ? `${sign}$${whole}${frac}` : `${sign}${whole}${frac} ${currency}`;
}

const AMOUNT_RE = /^(\d{1,12})(?:\.(\d{0,6}))?$/;

/** "2.50" (units, at most 6 decimals, optional thousands commas) to micros exactly, by string parsing; undefined when malformed. */
export function parseMoney(text: string): number | undefined {
  const m = AMOUNT_RE.exec(text.trim().replace(/,(?=\d{3}(\D|$))/g, ''));
  const whole = m?.[1];
  if (whole === undefined) return undefined;
  return Number(BigInt(whole) * MICROS + BigInt((m?.[2] ?? '').padEnd(6, '0')));
}
