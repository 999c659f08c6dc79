import type { App, Campaign, Creative, LineItem } from '../store/model.js';
import { Memoizer } from './memoizer.js';
import type { EventRow } from './row.js';

/** What enrichment reads from the report store. */
export interface EnrichStore {
  getApp(id: string): Promise<App | undefined>;
  getCampaign(id: string): Promise<Campaign | undefined>;
  getCreative(id: string): Promise<Creative | undefined>;
  getLineItem(id: string): Promise<LineItem | undefined>;
}

const COUNTRY_NAMES: Record<string, string> = {
  US: 'United States', GB: 'United Kingdom', DE: 'Germany', FR: 'France', IN: 'India', BR: 'Brazil', JP: 'Japan', CA: 'Canada',
  MX: 'Mexico', AU: 'Australia', ID: 'Indonesia', CN: 'China', ES: 'Spain', IT: 'Italy', NL: 'Netherlands', KR: 'South Korea',
};

/** Device class from the model: tablets by their model families, else phone; unknown when absent. */
export function deviceClass(model: string | null): string {
  if (!model) return 'unknown';
  if (/^iPad/i.test(model) || /^SM-[TX]\d/.test(model) || /tablet|tab\b/i.test(model)) return 'tablet';
  if (/^AppleTV|^AFT|tv\b/i.test(model)) return 'tv';
  return 'phone';
}

/**
 * The enrich stage: app -> publisher and app name; creative -> line item; campaign ->
 * advertiser and name; device model -> device class; country -> its name. Look-ups go
 * through memoizers; ids the store does not know are kept and flagged, never dropped.
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

  async enrich(rows: EventRow[]): Promise<EventRow[]> {
    for (const r of rows) {
      let flags: string[] | null = null;
      const app = await this.apps.get(r.app_id);
      if (app) {
        r.app_name = app.name;
        r.publisher_id = app.publisher_id;
      } else (flags ??= []).push('unknown_app');
      if (r.creative_id) {
        const cr = await this.creatives.get(r.creative_id);
        if (cr) r.line_item_id ??= cr.line_item_id;
        else (flags ??= []).push('unknown_creative');
      }
      if (r.campaign_id) {
        const cmp = await this.campaigns.get(r.campaign_id);
        if (cmp) {
          r.advertiser_id = cmp.advertiser_id;
          r.campaign_name = cmp.name;
        } else (flags ??= []).push('unknown_campaign');
      }
      r.device_class = deviceClass(r.device_model);
      r.country_name = r.country ? (COUNTRY_NAMES[r.country] ?? r.country) : null;
      if (flags) r.flags = flags.join(',');
    }
    return rows;
  }
}
