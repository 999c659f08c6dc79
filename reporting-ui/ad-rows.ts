/**
 * Rows of the ad tables (publishers' ads on their apps, advertisers' campaign reports), shaped
 * for people: names beside ids, a label for rows with no value, and requests with their fill
 * rate only where requests mean something. An ad request happens before any campaign is
 * picked, so requests sit on rows with no campaign: grouped by campaign, line item or creative
 * they would read 0, and are left out (the unfilled requests are not a campaign either).
 */
import type { CampaignGroup, CampaignTotals } from '../store/reports.js';
import type { ReportStore } from '../store/store.js';
import { countryName } from './country-names.js';
import { ctr } from './report-query.js';

/** Groupings whose rows are a campaign's own: no requests, and the '' row (unfilled requests) left out. */
const CAMPAIGN_SIDE = new Set<CampaignGroup>(['campaign_id', 'line_item_id', 'creative_id']);
const NONE: Partial<Record<CampaignGroup, string>> = { country: '(unknown country)', platform: '(unknown platform)', slot_id: '(no slot)', app_id: '(no app)' };

/** id -> name of the things a grouping names; empty for the others. */
async function namesOf(store: ReportStore, by: CampaignGroup): Promise<Map<string, string>> {
  const list: { id: string; name: string }[] =
    by === 'campaign_id' ? await store.listCampaigns() : by === 'line_item_id' ? await store.listLineItems() : by === 'creative_id' ? await store.listCreatives()
      : by === 'slot_id' ? await store.listSlots() : by === 'app_id' ? await store.listApps() : [];
  return new Map(list.map((x) => [x.id, x.name]));
}

interface AdRow {
  [column: string]: string | number;
}

/**
 * The table rows of `totals` grouped `by`. `withRequests` is false where requests can never be
 * on the rows (a campaign's own report: its rows all have a campaign).
 */
export async function adRows(store: ReportStore, by: CampaignGroup, totals: readonly CampaignTotals[], withRequests: boolean): Promise<AdRow[]> {
  const names = await namesOf(store, by);
  const campaignSide = CAMPAIGN_SIDE.has(by);
  const requests = withRequests && !campaignSide;
  const out: AdRow[] = [];
  for (const x of totals) {
    if (campaignSide && x.key === '') continue;
    const key = by === 'hour' ? new Date(Number(x.key)).toISOString() : x.key === '' ? (NONE[by] ?? '(none)') : x.key;
    const row: AdRow = { [by]: key };
    if (names.size > 0) row.name = names.get(x.key) ?? key;
    else if (by === 'country') row.name = x.key === '' ? key : countryName(x.key);
    if (requests) (row.requests = x.requests), (row.fill_rate = x.requests ? Math.round((x.impressions / x.requests) * 1e4) / 100 : 0);
    row.impressions = x.impressions;
    row.clicks = x.clicks;
    row.interactions = x.interactions;
    row.ctr = ctr(x.clicks, x.impressions);
    out.push(row);
  }
  return out;
}
