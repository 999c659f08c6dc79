/**
 * What a create may leave out of the money fields (migration 10), and their defaults: a
 * publisher's revenue share 7000 bps, a campaign's currency USD, a line item's price model cpm
 * at `cpm_micros` (the field before price_micros, still accepted on create) or 0.
 */
import { DEFAULT_CURRENCY, DEFAULT_REV_SHARE_BPS } from '../common/money.js';
import type { Campaign, LineItem, Publisher } from './model.js';
import type { New } from './store.js';

export type NewPublisher = Omit<New<Publisher>, 'rev_share_bps'> & { rev_share_bps?: number };
export type NewCampaign = Omit<New<Campaign>, 'currency'> & { currency?: string };
export type NewLineItem = Omit<New<LineItem>, 'price_model' | 'price_micros'> & Partial<Pick<LineItem, 'price_model' | 'price_micros'>> & {
  /** The old name of a cpm price: taken as price_micros when that is not given. */
  cpm_micros?: number;
};

export function publisherDefaults(p: NewPublisher): New<Publisher> {
  return { ...p, rev_share_bps: p.rev_share_bps ?? DEFAULT_REV_SHARE_BPS };
}

export function campaignDefaults(c: NewCampaign): New<Campaign> {
  return { ...c, currency: c.currency ?? DEFAULT_CURRENCY };
}

export function lineItemDefaults(l: NewLineItem): New<LineItem> {
  const { cpm_micros, ...rest } = l;
  return { ...rest, price_model: l.price_model ?? 'cpm', price_micros: l.price_micros ?? cpm_micros ?? 0 };
}
