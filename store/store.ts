import { createHash, randomBytes } from 'node:crypto';
import type { AudienceStore } from './audience.js';
import type { FactStore } from './facts.js';
import type { FleetStore } from './fleet.js';
import type { FunnelStore } from './funnels.js';
import type { FilterQueries } from './filter-sql.js';
import type { HealthQueries } from './health-sql.js';
import type { InventoryQueries } from './inventory-sql.js';
import type { ReportQueries } from './reports.js';
import type { MoneyQueries } from './money-sql.js';
import type { UserStore } from './users.js';
import type { NewCampaign, NewLineItem, NewPublisher } from './money-defaults.js';
import type { Advertiser, App, Campaign, CampaignSnapshot, Creative, Delivery, LineItem, Publisher, Slot } from './model.js';

/** What a create takes: the entity without its id, or with an explicit id (e.g. `app_0001`). */
export type New<T extends { id: string }> = Omit<T, 'id'> & { id?: string };
/** What an update takes: any subset of the fields but the id. */
export type Patch<T extends { id: string }> = Partial<Omit<T, 'id'>>;

export interface DeliveredTotals {
  impressions: number;
  clicks: number;
}

/**
 * The report store: one interface, two backends (SQLite and MySQL/MariaDB) with the same
 * schema and migrations. Every method is async. Failures are StoreErrors with stable codes:
 * STORE_ERR_NOT_FOUND (update or delete of a missing id), STORE_ERR_CONFLICT (duplicate id
 * or key), STORE_ERR_INVALID (bad field, unknown parent id), STORE_ERR_UNAVAILABLE (the
 * database cannot be reached or is closed).
 *
 * Every write to publishers, apps, slots, advertisers, campaigns, line items and creatives
 * bumps `campaignRevision()` in the same transaction. App keys, delivery and reads do not.
 * Deletes cascade: a publisher takes its apps (and their slots and keys), an advertiser its
 * campaigns, a campaign its line items, a line item its creatives.
 *
 * The aggregate ("fact") tables and the job bookkeeping are the FactStore part (facts.ts),
 * users and API keys the UserStore part (users.ts), the report reads ReportQueries (reports.ts).
 */
export interface ReportStore extends FactStore, FleetStore, FunnelStore, UserStore, ReportQueries, AudienceStore, MoneyQueries, FilterQueries, HealthQueries, InventoryQueries {
  /** 'sqlite' or 'mysql'. */
  readonly kind: 'sqlite' | 'mysql';
  /** Where the data lives, without any password (safe to log). */
  readonly location: string;

  /** Applies the pending migrations (safe to call again and from several processes); returns how many it applied. */
  migrate(): Promise<number>;
  /** The versions applied so far, ascending. */
  appliedMigrations(): Promise<number[]>;
  close(): Promise<void>;

  createPublisher(p: NewPublisher): Promise<Publisher>;
  getPublisher(id: string): Promise<Publisher | undefined>;
  listPublishers(): Promise<Publisher[]>;
  updatePublisher(id: string, patch: Patch<Publisher>): Promise<Publisher>;
  deletePublisher(id: string): Promise<void>;

  createApp(a: New<App>): Promise<App>;
  getApp(id: string): Promise<App | undefined>;
  listApps(filter?: { publisher_id?: string }): Promise<App[]>;
  updateApp(id: string, patch: Patch<App>): Promise<App>;
  deleteApp(id: string): Promise<void>;

  createSlot(s: New<Slot>): Promise<Slot>;
  getSlot(id: string): Promise<Slot | undefined>;
  listSlots(filter?: { app_id?: string }): Promise<Slot[]>;
  updateSlot(id: string, patch: Patch<Slot>): Promise<Slot>;
  deleteSlot(id: string): Promise<void>;

  createAdvertiser(a: New<Advertiser>): Promise<Advertiser>;
  getAdvertiser(id: string): Promise<Advertiser | undefined>;
  listAdvertisers(): Promise<Advertiser[]>;
  updateAdvertiser(id: string, patch: Patch<Advertiser>): Promise<Advertiser>;
  deleteAdvertiser(id: string): Promise<void>;

  createCampaign(c: NewCampaign): Promise<Campaign>;
  getCampaign(id: string): Promise<Campaign | undefined>;
  listCampaigns(filter?: { advertiser_id?: string }): Promise<Campaign[]>;
  updateCampaign(id: string, patch: Patch<Campaign>): Promise<Campaign>;
  deleteCampaign(id: string): Promise<void>;

  createLineItem(l: NewLineItem): Promise<LineItem>;
  getLineItem(id: string): Promise<LineItem | undefined>;
  listLineItems(filter?: { campaign_id?: string }): Promise<LineItem[]>;
  updateLineItem(id: string, patch: Patch<LineItem>): Promise<LineItem>;
  deleteLineItem(id: string): Promise<void>;

  createCreative(c: New<Creative>): Promise<Creative>;
  getCreative(id: string): Promise<Creative | undefined>;
  listCreatives(filter?: { line_item_id?: string }): Promise<Creative[]>;
  updateCreative(id: string, patch: Patch<Creative>): Promise<Creative>;
  deleteCreative(id: string): Promise<void>;

  /** A new random key for the app (`ak_` + 32 base64url characters); only its hash is stored. */
  createAppKey(appId: string): Promise<string>;
  /** Registers a known key (e.g. the simulator's); again for the same app is a no-op, for another app a conflict. */
  setAppKey(appId: string, key: string): Promise<void>;
  /** The app a key belongs to, or undefined. */
  appForKey(key: string): Promise<string | undefined>;
  /** Every key hash (`hashAppKey`) with its app, for caches. */
  listAppKeyHashes(): Promise<{ hash: string; app_id: string }[]>;

  /** Monotonic counter of the campaign model; changes whenever anything in it changes. */
  campaignRevision(): Promise<number>;
  /** Apps, slots, advertisers, campaigns, line items and creatives with their revision, read in one consistent snapshot. */
  loadCampaignSnapshot(): Promise<CampaignSnapshot>;

  /**
   * Sets (not adds) delivered counts; `hour` is the start of a UTC hour in epoch ms. Upserting
   * the same rows again leaves the same numbers. All rows go in one transaction.
   */
  upsertDelivery(rows: readonly Delivery[]): Promise<void>;
  /** Impressions and clicks per line item summed over the hours >= `since` (epoch ms). */
  deliveredByLineItem(since: number): Promise<Map<string, DeliveredTotals>>;
}

/** The hash under which an app key is stored: SHA-256, base64url (what tracking/app-keys.ts uses). */
export function hashAppKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** A fresh app key: `ak_` and 32 base64url characters (192 random bits). */
export function newAppKey(): string {
  return 'ak_' + randomBytes(24).toString('base64url');
}

const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A short unique id: the prefix and 16 random lower-case base32 characters (80 bits). */
export function newId(prefix: string): string {
  const bytes = randomBytes(16);
  let s = prefix;
  for (const b of bytes) s += ID_ALPHABET[b & 31];
  return s;
}
