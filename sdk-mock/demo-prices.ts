import type { PriceModel } from '../common/money.js';

/** What a demo campaign's one line item costs: its price model, price in micros and currency. */
export interface DemoPrice {
  price_model: PriceModel;
  price_micros: number;
  currency: string;
}

/**
 * The demo's prices, a pure function of the campaign's position so that the seeding (cli/seed-world.ts)
 * and the ground truth (truth-money.ts) agree; by position in the world (world.ts numbers campaigns from 1): the third campaign pays a flat 500.00 over its
 * flight, every fourth from the second pays per click (0.10 to 0.80), the others per thousand
 * impressions (0.50 to 8.00); the fifth is in EUR, the others in USD.
 */
function demoPrice(index: number): DemoPrice {
  const currency = index === 4 ? 'EUR' : 'USD';
  if (index === 2) return { price_model: 'flat', price_micros: 500_000_000, currency };
  if (index % 4 === 1) return { price_model: 'cpc', price_micros: 100_000 + ((index * 130_000) % 710_000), currency };
  return { price_model: 'cpm', price_micros: 500_000 + ((index * 1_237_500) % 7_510_000), currency };
}

/** The price of a world's campaign by its id (`cmp_0003` is the third: its position, whatever part of the world is seeded). */
export function demoPriceOf(campaignId: string): DemoPrice {
  const n = /(\d+)$/.exec(campaignId);
  return demoPrice(n ? Number(n[1]) - 1 : 0);
}
