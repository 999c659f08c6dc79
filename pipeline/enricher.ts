import type { QuarantineRow } from '../store/facts.js';
import type { App, Campaign, Creative, LineItem } from '../store/model.js';
import { Memoizer } from './memoizer.js';
import type { EventRow } from './row.js';

/** What enrichment reads from the report store. */
export interface EnrichStore {
  getApp(id: string): Promise<App | undefined>;
  getCampaign(id: string): Promise<Campaign | undefined>;
  getCreative(id: string): Promise<Creative | undefined>;
  getLineItem(id: string): Promise<LineItem | undefined>;
  /** Where quarantined events are recorded for data health (the report store), when there is one. */
  recordQuarantine?(rows: QuarantineRow[]): Promise<void>;
}

export const COUNTRY_NAMES: Record<string, string> = {
  US: 'United States', GB: 'United Kingdom', DE: 'Germany', FR: 'France', IN: 'India', BR: 'Brazil', JP: 'Japan', CA: 'Canada',
  MX: 'Mexico', AU: 'Australia', ID: 'Indonesia', CN: 'China', ES: 'Spain', IT: 'Italy', NL: 'Netherlands', KR: 'South Korea',
};

/** Names of first-level subdivisions (ISO 3166-2 codes without the country), for the regions devices report. */
export const REGION_NAMES: Record<string, Record<string, string>> = {
  US: { CA: 'California', NY: 'New York', TX: 'Texas', FL: 'Florida', WA: 'Washington', IL: 'Illinois' },
  GB: { ENG: 'England', SCT: 'Scotland', WLS: 'Wales', NIR: 'Northern Ireland' },
  DE: { BE: 'Berlin', BY: 'Bavaria', NW: 'North Rhine-Westphalia', HH: 'Hamburg' },
  FR: { IDF: 'Île-de-France', ARA: 'Auvergne-Rhône-Alpes', PAC: "Provence-Alpes-Côte d'Azur" },
  IN: { MH: 'Maharashtra', KA: 'Karnataka', DL: 'Delhi', TN: 'Tamil Nadu' },
  BR: { SP: 'São Paulo', RJ: 'Rio de Janeiro', MG: 'Minas Gerais' },
  JP: { '13': 'Tokyo', '27': 'Osaka', '23': 'Aichi' },
  CA: { ON: 'Ontario', QC: 'Quebec', BC: 'British Columbia' },
  MX: { CMX: 'Mexico City', JAL: 'Jalisco', NLE: 'Nuevo León' },
  AU: { NSW: 'New South Wales', VIC: 'Victoria', QLD: 'Queensland' },
  ID: { JK: 'Jakarta', JB: 'West Java', JI: 'East Java' },
};

/** Device class from the model: tablets by their model families, else phone; unknown when absent. */
export function deviceClass(model: string | null): string {
  if (!model) return 'unknown';
  if (/^iPad/i.test(model) || /^SM-[TX]\d/.test(model) || /tablet|tab\b/i.test(model)) return 'tablet';
  if (/^AppleTV|^AFT|tv\b/i.test(model)) return 'tv';
  return 'phone';
}

/** What the store said of the ids a batch mentions; null for ids it does not know. */
export interface EnrichDict {
  apps: Record<string, { name: string; publisher_id: string } | null>;
  campaigns: Record<string, { advertiser_id: string; name: string } | null>;
  creatives: Record<string, { line_item_id: string } | null>;
}

export const emptyDict = (): EnrichDict => ({ apps: {}, campaigns: {}, creatives: {} });

/** Fills a row's enrichment columns from a dictionary; unknown ids are kept and flagged. */
export function applyEnrichment(r: EventRow, d: EnrichDict): void {
  let flags: string | null = null;
  const app = d.apps[r.app_id];
  if (app) {
    r.app_name = app.name;
    r.publisher_id = app.publisher_id;
  } else flags = 'unknown_app';
  if (r.creative_id) {
    const cr = d.creatives[r.creative_id];
    if (cr) r.line_item_id ??= cr.line_item_id;
    else flags = flags ? `${flags},unknown_creative` : 'unknown_creative';
  }
  if (r.campaign_id) {
    const cmp = d.campaigns[r.campaign_id];
    if (cmp) {
      r.advertiser_id = cmp.advertiser_id;
      r.campaign_name = cmp.name;
    } else flags = flags ? `${flags},unknown_campaign` : 'unknown_campaign';
  }
  r.device_class = deviceClass(r.device_model);
  r.country_name = r.country ? (COUNTRY_NAMES[r.country] ?? r.country) : null;
  r.region_name = r.region ? ((r.country ? REGION_NAMES[r.country]?.[r.region] : undefined) ?? r.region) : null;
  r.flags = flags;
}

/**
 * The enrich stage: app -> publisher and app name; creative -> line item; campaign ->
 * advertiser and name (through memoisers: one store look-up per id however many ask at
 * once); device model -> device class and country -> its name (static tables). `resolve`
 * looks ids up into a dictionary that travels with the rows to the encode workers;
 * `enrich` does the whole job in place, for the one-thread path.
 */
export class Enricher {
  readonly apps: Memoizer<App>;
  readonly campaigns: Memoizer<Campaign>;
  readonly creatives: Memoizer<Creative>;

  constructor(store: EnrichStore) {
    this.apps = new Memoizer((id) => store.getApp(id));
    this.campaigns = new Memoizer((id) => store.getCampaign(id));
    this.creatives = new Memoizer((id) => store.getCreative(id));
  }

  get hitRatio(): number {
    const hits = this.apps.hits + this.campaigns.hits + this.creatives.hits;
    const all = hits + this.apps.misses + this.campaigns.misses + this.creatives.misses;
    return all === 0 ? 0 : hits / all;
  }

  async resolve(ids: { apps: readonly string[]; campaigns: readonly string[]; creatives: readonly string[] }, into: EnrichDict): Promise<void> {
    for (const id of ids.apps) {
      const a = await this.apps.get(id);
      into.apps[id] = a ? { name: a.name, publisher_id: a.publisher_id } : null;
    }
    for (const id of ids.campaigns) {
      const c = await this.campaigns.get(id);
      into.campaigns[id] = c ? { advertiser_id: c.advertiser_id, name: c.name } : null;
    }
    for (const id of ids.creatives) {
      const c = await this.creatives.get(id);
      into.creatives[id] = c ? { line_item_id: c.line_item_id } : null;
    }
  }

  async enrich(rows: EventRow[]): Promise<EventRow[]> {
    const apps = new Set<string>();
    const campaigns = new Set<string>();
    const creatives = new Set<string>();
    for (const r of rows) {
      apps.add(r.app_id);
      if (r.campaign_id) campaigns.add(r.campaign_id);
      if (r.creative_id) creatives.add(r.creative_id);
    }
    const dict = emptyDict();
    await this.resolve({ apps: [...apps], campaigns: [...campaigns], creatives: [...creatives] }, dict);
    for (const r of rows) applyEnrichment(r, dict);
    return rows;
  }
}
