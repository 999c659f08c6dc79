import type { CampaignSnapshot } from './model.js';
import type { ReportStore } from './store.js';

/**
 * Writes a whole campaign model into a store, keeping its ids: publishers implied by the
 * apps first, then apps, slots, advertisers, campaigns, line items and creatives.
 */
export async function seedCampaignModel(store: ReportStore, m: Omit<CampaignSnapshot, 'revision'>, publisherNames: Record<string, string> = {}): Promise<void> {
  for (const id of new Set(m.apps.map((a) => a.publisher_id))) {
    if (!(await store.getPublisher(id))) await store.createPublisher({ id, name: publisherNames[id] ?? id });
  }
  for (const a of m.apps) await store.createApp(a);
  for (const s of m.slots) await store.createSlot(s);
  for (const a of m.advertisers) await store.createAdvertiser(a);
  for (const c of m.campaigns) await store.createCampaign(c);
  for (const li of m.line_items) await store.createLineItem(li);
  for (const c of m.creatives) await store.createCreative(c);
}
