/**
 * The report store's conformance suite: one set of tests that every backend must pass.
 * test/store.test.ts runs it against SqliteStore and MysqlStore (a real MariaDB).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaign, creative, H, lineItem, rejectsWith, T0, tree } from './fixtures.js';
import { MIGRATIONS } from '../../store/migrations.js';
import { hashAppKey } from '../../store/store.js';
import type { ReportStore } from '../../store/store.js';

export interface ConformanceHarness {
  name: string;
  /** A store on a fresh, empty database; not migrated yet. */
  open(): Promise<ReportStore>;
  /** A second store on the same database as `store`. */
  reopen(store: ReportStore): Promise<ReportStore>;
  /** Every row of every table of the store's database as text, read around the store. */
  dump(store: ReportStore): Promise<string>;
}

/** Runs fn on a freshly opened, migrated store of the harness, and closes it. */
export function storeRunner(h: ConformanceHarness) {
  return async (fn: (s: ReportStore) => Promise<void>): Promise<void> => {
    const s = await h.open();
    try {
      await s.migrate();
      await fn(s);
    } finally {
      await s.close();
    }
  };
}

export function storeConformance(h: ConformanceHarness): void {
  const withStore = storeRunner(h);

  describe(`report store conformance (${h.name})`, () => {
    it('applies every migration once, and a second migrate, from any process, is a no-op', async () => {
      const s = await h.open();
      const t = await h.reopen(s);
      try {
        // Two stores migrating one fresh database at once: the migration lock lets one do the work.
        const applied = await Promise.all([s.migrate(), t.migrate()]);
        assert.equal(applied[0] + applied[1], MIGRATIONS.length);
        assert.deepEqual(await s.appliedMigrations(), MIGRATIONS.map((m) => m.version));
        const pub = await s.createPublisher({ name: 'kept' });
        assert.equal(await s.migrate(), 0);
        assert.equal(await t.migrate(), 0);
        assert.deepEqual(await s.appliedMigrations(), MIGRATIONS.map((m) => m.version));
        assert.deepEqual(await t.getPublisher(pub.id), pub);
        assert.equal(await s.campaignRevision(), 1);
      } finally {
        await t.close();
        await s.close();
      }
    });

    it('creates, reads, lists by parent, updates and deletes every entity, with generated or explicit ids', () =>
      withStore(async (s) => {
        const a = await tree(s, ' A');
        const b = await tree(s, ' B');
        const prefixes: [string, string][] = [[a.pub.id, 'pub_'], [a.app.id, 'app_'], [a.slot.id, 'slt_'], [a.adv.id, 'adv_'], [a.cmp.id, 'cmp_'], [a.li.id, 'li_'], [a.cr.id, 'cr_']];
        for (const [id, prefix] of prefixes) assert.match(id, new RegExp(`^${prefix}[0-9a-z]{16}$`));
        assert.notEqual(a.cmp.id, b.cmp.id);

        const app = await s.createApp({ id: 'app_0001', publisher_id: a.pub.id, name: 'Fixed', platform: 'ios', attribution_lookback_days: 30, attribution_model: 'linear' });
        assert.equal(app.id, 'app_0001');
        assert.deepEqual(await s.getApp('app_0001'), app);
        assert.deepEqual(await s.getPublisher(a.pub.id), a.pub);
        assert.deepEqual(await s.getSlot(a.slot.id), a.slot);
        assert.deepEqual(await s.getAdvertiser(b.adv.id), b.adv);
        assert.deepEqual(await s.getCampaign(a.cmp.id), a.cmp);
        assert.deepEqual(await s.getLineItem(a.li.id), a.li);
        assert.deepEqual(await s.getCreative(b.cr.id), b.cr);
        assert.equal(await s.getCampaign('cmp_missing'), undefined);
        assert.equal(await s.getApp(''), undefined);

        const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
        assert.deepEqual(ids(await s.listPublishers()), [a.pub.id, b.pub.id].sort());
        assert.deepEqual(ids(await s.listApps({ publisher_id: a.pub.id })), [a.app.id, 'app_0001'].sort());
        assert.equal((await s.listApps()).length, 3);
        assert.deepEqual(ids(await s.listSlots({ app_id: b.app.id })), [b.slot.id]);
        assert.deepEqual(ids(await s.listCampaigns({ advertiser_id: b.adv.id })), [b.cmp.id]);
        assert.deepEqual(ids(await s.listLineItems({ campaign_id: a.cmp.id })), [a.li.id]);
        assert.deepEqual(ids(await s.listCreatives({ line_item_id: a.li.id })), [a.cr.id]);
        assert.deepEqual(await s.listCreatives({ line_item_id: 'li_nope' }), []);
        assert.equal((await s.listAdvertisers()).length, 2);

        assert.deepEqual(await s.updatePublisher(a.pub.id, { name: 'Renamed' }), { ...a.pub, name: 'Renamed' });
        assert.deepEqual(await s.updateApp(app.id, { platform: 'android' }), { ...app, platform: 'android' });
        assert.deepEqual(await s.updateSlot(a.slot.id, { size: '300x250', app_id: b.app.id }), { ...a.slot, size: '300x250', app_id: b.app.id });
        assert.deepEqual(await s.updateAdvertiser(a.adv.id, { name: 'Adv 2' }), { ...a.adv, name: 'Adv 2' });
        const cmp = await s.updateCampaign(a.cmp.id, { status: 'paused', exclusion_labels: [] });
        assert.deepEqual(cmp, { ...a.cmp, status: 'paused', exclusion_labels: [] });
        assert.deepEqual(await s.getCampaign(a.cmp.id), cmp);
        const li = await s.updateLineItem(a.li.id, { country_split: null, goal: 0, slot_ids: [] });
        assert.deepEqual(await s.getLineItem(a.li.id), { ...a.li, country_split: null, goal: 0, slot_ids: [] });
        assert.deepEqual(li, await s.getLineItem(a.li.id));
        assert.deepEqual(await s.updateCreative(a.cr.id, { weight: 0, kind: 'html', payload: '<b>hi</b>' }), { ...a.cr, weight: 0, kind: 'html', payload: '<b>hi</b>' });

        await s.deleteCreative(a.cr.id);
        await s.deleteLineItem(b.li.id);
        await s.deleteSlot(b.slot.id);
        await s.deleteApp('app_0001');
        assert.equal(await s.getCreative(a.cr.id), undefined);
        assert.equal(await s.getLineItem(b.li.id), undefined);
        assert.equal(await s.getCreative(b.cr.id), undefined, 'a line item takes its creatives');
        assert.equal(await s.getApp('app_0001'), undefined);
        await s.deleteAdvertiser(b.adv.id);
        assert.equal(await s.getCampaign(b.cmp.id), undefined, 'an advertiser takes its campaigns');
        await s.deletePublisher(b.pub.id);
        assert.deepEqual(await s.listApps({ publisher_id: b.pub.id }), []);
        assert.equal(await s.getSlot(a.slot.id), undefined, 'the slot moved to app B went with it');
      }));

    it('deletes a campaign together with its line items and creatives, and nothing else', () =>
      withStore(async (s) => {
        const a = await tree(s);
        const li2 = await s.createLineItem(lineItem(a.cmp.id, { name: 'second' }));
        const cr2 = await s.createCreative(creative(li2.id));
        const other = await s.createCampaign(campaign(a.adv.id, { name: 'other' }));
        const li3 = await s.createLineItem(lineItem(other.id));
        await s.deleteCampaign(a.cmp.id);
        for (const id of [a.li.id, li2.id]) assert.equal(await s.getLineItem(id), undefined);
        for (const id of [a.cr.id, cr2.id]) assert.equal(await s.getCreative(id), undefined);
        assert.deepEqual(await s.listLineItems(), [li3]);
        assert.deepEqual(await s.listCreatives(), []);
        assert.deepEqual(await s.getAdvertiser(a.adv.id), a.adv);
        // A publisher takes its apps, slots and app keys.
        const key = await s.createAppKey(a.app.id);
        await s.deletePublisher(a.pub.id);
        assert.equal(await s.getSlot(a.slot.id), undefined);
        assert.equal(await s.appForKey(key), undefined);
        assert.deepEqual(await s.listAppKeyHashes(), []);
      }));

    it('refuses bad input with STORE_ERR_INVALID, duplicates with STORE_ERR_CONFLICT and missing ids with STORE_ERR_NOT_FOUND', () =>
      withStore(async (s) => {
        const a = await tree(s);
        const INV = 'STORE_ERR_INVALID';
        await rejectsWith(s.createCampaign(campaign(a.adv.id, { end_at: T0, start_at: T0 })), INV, 400);
        await rejectsWith(s.createCampaign(campaign(a.adv.id, { end_at: T0 - 1 })), INV);
        await rejectsWith(s.createLineItem(lineItem(a.cmp.id, { end_at: T0 - H })), INV);
        for (const size of ['320*50', '0x50', '320x', '', '320x50 ', 'WxH']) await rejectsWith(s.createSlot({ app_id: a.app.id, name: 's', size }), INV);
        await rejectsWith(s.createCreative(creative(a.li.id, { size: '320 x 50' })), INV);
        await rejectsWith(s.createLineItem(lineItem(a.cmp.id, { goal: -1 })), INV);
        await rejectsWith(s.createLineItem(lineItem(a.cmp.id, { goal: 1.5 })), INV);
        await rejectsWith(s.createLineItem(lineItem(a.cmp.id, { country_split: { us: 0.5 } })), INV);
        await rejectsWith(s.createLineItem(lineItem(a.cmp.id, { country_split: { US: 0.7, CA: 0.4 } })), INV);
        await rejectsWith(s.createLineItem(lineItem(a.cmp.id, { delivery: 'fast' as 'even' })), INV);
        await rejectsWith(s.createCampaign(campaign(a.adv.id, { status: 'running' as 'active' })), INV);
        await rejectsWith(s.createCampaign(campaign(a.adv.id, { exclusion_labels: [''] })), INV);
        await rejectsWith(s.createCreative(creative(a.li.id, { weight: -1 })), INV);
        await rejectsWith(s.createPublisher({ name: '' }), INV);
        await rejectsWith(s.createPublisher({ name: 'x'.repeat(256) }), INV);
        await rejectsWith(s.createPublisher({ id: 'has space', name: 'x' }), INV);
        await rejectsWith(s.createPublisher({ id: 'p'.repeat(65), name: 'x' }), INV);
        await rejectsWith(s.createApp({ ...a.app, id: undefined, attribution_model: 'first_touch' as 'linear' }), INV);
        // Unknown parents.
        await rejectsWith(s.createApp({ ...a.app, id: undefined, publisher_id: 'pub_nope' }), INV);
        await rejectsWith(s.createSlot({ app_id: 'app_nope', name: 's', size: '320x50' }), INV);
        await rejectsWith(s.createCampaign(campaign('adv_nope')), INV);
        await rejectsWith(s.createLineItem(lineItem('cmp_nope')), INV);
        await rejectsWith(s.createCreative(creative('li_nope')), INV);
        await rejectsWith(s.updateCreative(a.cr.id, { line_item_id: 'li_nope' }), INV);
        // A refused update leaves the row as it was.
        await rejectsWith(s.updateCampaign(a.cmp.id, { end_at: a.cmp.start_at }), INV);
        assert.deepEqual(await s.getCampaign(a.cmp.id), a.cmp);
        // 255 characters fit, even four-byte ones.
        const long = await s.createPublisher({ name: '🚀'.repeat(255) });
        assert.equal((await s.getPublisher(long.id))?.name, '🚀'.repeat(255));

        await rejectsWith(s.createPublisher({ id: a.pub.id, name: 'again' }), 'STORE_ERR_CONFLICT', 409);
        await rejectsWith(s.createCampaign(campaign(a.adv.id, { id: a.cmp.id })), 'STORE_ERR_CONFLICT');
        await rejectsWith(s.createCreative(creative(a.li.id, { id: a.cr.id })), 'STORE_ERR_CONFLICT');

        await rejectsWith(s.updateCampaign('cmp_missing', { name: 'x' }), 'STORE_ERR_NOT_FOUND', 404);
        await rejectsWith(s.updateLineItem('li_missing', { goal: 1 }), 'STORE_ERR_NOT_FOUND');
        await rejectsWith(s.updatePublisher('pub_missing', { name: 'x' }), 'STORE_ERR_NOT_FOUND');
        await rejectsWith(s.deleteCreative('cr_missing'), 'STORE_ERR_NOT_FOUND');
      }));

    it('bumps the revision on every model write, and not on reads, failed writes, app keys or delivery', () =>
      withStore(async (s) => {
        let last = await s.campaignRevision();
        assert.equal(last, 0);
        const bumped = async (what: string, write: () => Promise<unknown>) => {
          await write();
          const now = await s.campaignRevision();
          assert.ok(now > last, `${what}: revision ${now} after ${last}`);
          last = now;
        };
        const same = async (what: string, op: () => Promise<unknown>) => {
          await op().catch(() => undefined);
          assert.equal(await s.campaignRevision(), last, what);
        };
        const a = await tree(s);
        assert.equal(await s.campaignRevision(), 7);
        last = 7;
        await bumped('update publisher', () => s.updatePublisher(a.pub.id, { name: 'p2' }));
        await bumped('update app', () => s.updateApp(a.app.id, { name: 'a2' }));
        await bumped('update slot', () => s.updateSlot(a.slot.id, { name: 's2' }));
        await bumped('update advertiser', () => s.updateAdvertiser(a.adv.id, { name: 'v2' }));
        await bumped('update campaign', () => s.updateCampaign(a.cmp.id, { priority: 10 }));
        await bumped('update line item', () => s.updateLineItem(a.li.id, { goal: 7 }));
        await bumped('update creative', () => s.updateCreative(a.cr.id, { weight: 2 }));
        await same('reads', async () => {
          await s.getCampaign(a.cmp.id);
          await s.listLineItems();
          await s.loadCampaignSnapshot();
          await s.deliveredByLineItem(0);
          await s.listAppKeyHashes();
        });
        await same('app keys', async () => s.appForKey(await s.createAppKey(a.app.id)));
        await same('delivery', () => s.upsertDelivery([{ line_item_id: a.li.id, hour: T0, country: 'US', impressions: 10, clicks: 1 }]));
        await same('refused create', () => s.createSlot({ app_id: a.app.id, name: 's', size: 'bad' }));
        await same('refused update', () => s.updateCampaign(a.cmp.id, { end_at: 0 }));
        await same('update of a missing id', () => s.updateSlot('slt_missing', { name: 'x' }));
        await same('delete of a missing id', () => s.deleteCampaign('cmp_missing'));
        await same('duplicate id', () => s.createAdvertiser({ id: a.adv.id, name: 'dup' }));
        await bumped('delete creative', () => s.deleteCreative(a.cr.id));
        await bumped('delete line item', () => s.deleteLineItem(a.li.id));
        await bumped('delete campaign', () => s.deleteCampaign(a.cmp.id));
        await bumped('delete advertiser', () => s.deleteAdvertiser(a.adv.id));
        await bumped('delete slot', () => s.deleteSlot(a.slot.id));
        await bumped('delete app', () => s.deleteApp(a.app.id));
        await bumped('delete publisher', () => s.deletePublisher(a.pub.id));
      }));

    it('loads a snapshot holding exactly what was written, JSON fields included', () =>
      withStore(async (s) => {
        const a = await tree(s);
        const cmp2 = await s.createCampaign(campaign(a.adv.id, { id: 'cmp_zz', exclusion_labels: ['alcohol', 'ünïcødé 🍺', 'a"b\\c'], budget_micros: 0 }));
        const li2 = await s.createLineItem(lineItem(cmp2.id, { id: 'li_zz', country_split: null, targeting: '', slot_ids: [], cap_count: 0, cap_window_ms: 0 }));
        const li3 = await s.createLineItem(lineItem(cmp2.id, { id: 'li_zzz', country_split: { GB: 0.25, DE: 0.75 }, slot_ids: ['slt_1', 'slt_2', 'slt_3'] }));
        const cr2 = await s.createCreative(creative(li2.id, { kind: 'mraid', size: '300x250', payload: '<script>mraid.open("x")</script>\n'.repeat(100) }));
        const snap = await s.loadCampaignSnapshot();
        assert.equal(snap.revision, await s.campaignRevision());
        const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((x, y) => (x.id < y.id ? -1 : 1));
        assert.deepEqual(snap.apps, [a.app]);
        assert.deepEqual(snap.slots, [a.slot]);
        assert.deepEqual(snap.advertisers, [a.adv]);
        assert.deepEqual(snap.campaigns, byId([a.cmp, cmp2]));
        assert.deepEqual(snap.line_items, byId([a.li, li2, li3]));
        assert.deepEqual(snap.creatives, byId([a.cr, cr2]));
        assert.deepEqual(snap.line_items.find((l) => l.id === 'li_zzz')?.country_split, { GB: 0.25, DE: 0.75 });
        assert.equal(snap.line_items.find((l) => l.id === 'li_zz')?.country_split, null);
        assert.deepEqual(snap.campaigns.find((c) => c.id === 'cmp_zz')?.exclusion_labels, ['alcohol', 'ünïcødé 🍺', 'a"b\\c']);
        assert.equal(Object.keys(snap).sort().join(), 'advertisers,apps,campaigns,creatives,line_items,revision,slots');
      }));

    it('keeps snapshots consistent with their revision while writers run at once', () =>
      withStore(async (s) => {
        const base = await s.campaignRevision();
        const writes = Array.from({ length: 24 }, (_, i) => s.createAdvertiser({ id: `adv_${String(i).padStart(3, '0')}`, name: `n${i}` }));
        const snaps = Array.from({ length: 8 }, () => s.loadCampaignSnapshot());
        await Promise.all(writes);
        for (const snap of await Promise.all(snaps)) assert.equal(snap.advertisers.length, snap.revision - base);
        assert.equal(await s.campaignRevision(), base + 24);
        assert.equal((await s.listAdvertisers()).length, 24);
      }));

    it('stores app keys only as hashes and resolves them', () =>
      withStore(async (s) => {
        const a = await tree(s);
        const other = await s.createApp({ id: 'app_0002', publisher_id: a.pub.id, name: 'Two', platform: 'ios', attribution_lookback_days: 1, attribution_model: 'time_decay' });
        const key = await s.createAppKey(a.app.id);
        assert.match(key, /^ak_[A-Za-z0-9_-]{32}$/);
        assert.notEqual(await s.createAppKey(a.app.id), key);
        const simKey = 'ak_simulatorKnownKey_0002_abcdefghijk';
        await s.setAppKey(other.id, simKey);
        await s.setAppKey(other.id, simKey); // again for the same app: a no-op
        assert.equal(await s.appForKey(key), a.app.id);
        assert.equal(await s.appForKey(simKey), other.id);
        assert.equal(await s.appForKey('ak_unknown_key_xxxxxxxxxxxxxxxxxxxxx'), undefined);
        assert.equal(await s.appForKey(''), undefined);
        await rejectsWith(s.setAppKey(a.app.id, simKey), 'STORE_ERR_CONFLICT');
        await rejectsWith(s.setAppKey('app_nope', 'ak_whatever_key_123456'), 'STORE_ERR_INVALID');
        await rejectsWith(s.setAppKey(a.app.id, 'short'), 'STORE_ERR_INVALID');
        const hashes = await s.listAppKeyHashes();
        assert.equal(hashes.length, 3);
        assert.ok(hashes.some((h) => h.hash === hashAppKey(simKey) && h.app_id === other.id));
        const dump = await h.dump(s);
        assert.ok(dump.includes(hashAppKey(key)), 'the dump holds the key hashes');
        for (const k of [key, simKey, key.slice(3), simKey.slice(3)]) assert.ok(!dump.includes(k), 'a raw key is in the database');
      }));

    it('keeps API keys as hashes, refuses a revoked or expired key, and revokes only the owner\'s key', () =>
      withStore(async (s) => {
        const a = await tree(s);
        const u = await s.createUser({ email: 'Key.Owner@test.example', password_hash: 'scrypt$0123456789abcdef', role: 'publisher', publisher_id: a.pub.id });
        const other = await s.createUser({ email: 'admin@test.example', password_hash: 'scrypt$0123456789abcdef', role: 'admin' });
        const now = Date.now();
        const forever = await s.createApiKey(u.id);
        const soon = await s.createApiKey(u.id, now + 60_000);
        assert.match(forever.key, /^sk_[A-Za-z0-9_-]{32}$/);
        assert.equal(forever.expires_at, null);
        assert.equal((await s.userForApiKey(forever.key))?.id, u.id);
        assert.equal((await s.userForApiKey(soon.key, now))?.id, u.id);
        assert.equal(await s.userForApiKey(soon.key, now + 60_000), undefined, 'expired at its expiry');
        assert.deepEqual((await s.listApiKeys(u.id)).map((k) => k.id).sort(), [forever.id, soon.id].sort());
        assert.deepEqual(await s.listApiKeys(other.id), []);
        await rejectsWith(s.revokeApiKey(other.id, forever.id), 'STORE_ERR_NOT_FOUND');
        assert.equal((await s.userForApiKey(forever.key))?.id, u.id, "another user's revoke changed nothing");
        await s.revokeApiKey(u.id, forever.id);
        assert.equal(await s.userForApiKey(forever.key), undefined);
        assert.deepEqual((await s.listApiKeys(u.id)).map((k) => k.id), [soon.id]);
        await rejectsWith(s.revokeApiKey(u.id, forever.id), 'STORE_ERR_NOT_FOUND');
        const dump = await h.dump(s);
        assert.ok(!dump.includes(soon.key) && !dump.includes(soon.key.slice(3)), 'a raw API key is in the database');
      }));

    it('sets delivery idempotently and sums it per line item from a given hour', () =>
      withStore(async (s) => {
        const rows = [
          { line_item_id: 'li_a', hour: T0, country: 'US', impressions: 100, clicks: 3 },
          { line_item_id: 'li_a', hour: T0, country: 'CA', impressions: 50, clicks: 1 },
          { line_item_id: 'li_a', hour: T0 + H, country: 'US', impressions: 70, clicks: 2 },
          { line_item_id: 'li_a', hour: T0 + 2 * H, country: '', impressions: 5, clicks: 0 },
          { line_item_id: 'li_b', hour: T0 + H, country: 'US', impressions: 9, clicks: 9 },
        ];
        await s.upsertDelivery(rows);
        await s.upsertDelivery(rows);
        const all = await s.deliveredByLineItem(0);
        assert.deepEqual(Object.fromEntries(all), { li_a: { impressions: 225, clicks: 6 }, li_b: { impressions: 9, clicks: 9 } });
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(T0 + H)), { li_a: { impressions: 75, clicks: 2 }, li_b: { impressions: 9, clicks: 9 } });
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(T0 + 2 * H)), { li_a: { impressions: 5, clicks: 0 } });
        assert.equal((await s.deliveredByLineItem(T0 + 3 * H)).size, 0);
        // A re-load with new numbers sets them, it does not add.
        await s.upsertDelivery([{ ...rows[0]!, impressions: 1, clicks: 0 }]);
        assert.deepEqual(Object.fromEntries(await s.deliveredByLineItem(0)).li_a, { impressions: 126, clicks: 3 });
        // Large loads go in chunks: 250 hours.
        const many = Array.from({ length: 250 }, (_, i) => ({ line_item_id: 'li_c', hour: T0 + i * H, country: 'FR', impressions: i, clicks: 1 }));
        await s.upsertDelivery(many);
        await s.upsertDelivery(many);
        assert.deepEqual((await s.deliveredByLineItem(0)).get('li_c'), { impressions: (249 * 250) / 2, clicks: 250 });
        await s.upsertDelivery([]);
        await rejectsWith(s.upsertDelivery([{ ...rows[0]!, hour: T0 + 1 }]), 'STORE_ERR_INVALID');
        await rejectsWith(s.upsertDelivery([{ ...rows[0]!, impressions: -1 }]), 'STORE_ERR_INVALID');
        await rejectsWith(s.upsertDelivery([{ ...rows[0]!, country: "US'; --" }]), 'STORE_ERR_INVALID');
      }));

    it('keeps money as exact integers with its currency, price model and revenue share, and names each money problem by its code', () =>
      withStore(async (s) => {
        const a = await tree(s);
        assert.equal(a.pub.rev_share_bps, 7000, 'the default share');
        assert.equal((await s.getCampaign(a.cmp.id))?.currency, 'EUR');
        // Past 2^32 and up to 10^15 micros (a billion units): BIGINT both ways.
        const big = 999_999_999_999_999;
        await s.updateCampaign(a.cmp.id, { budget_micros: big, currency: 'JPY' });
        assert.equal((await s.getCampaign(a.cmp.id))?.budget_micros, big);
        const flat = await s.createLineItem(lineItem(a.cmp.id, { price_model: 'flat', price_micros: 4_294_967_297 }));
        assert.deepEqual([flat.price_model, (await s.getLineItem(flat.id))?.price_micros], ['flat', 4_294_967_297]);
        await s.updatePublisher(a.pub.id, { rev_share_bps: 10_000 });
        assert.equal((await s.getPublisher(a.pub.id))?.rev_share_bps, 10_000);
        const codes = async (p: Promise<unknown>) => {
          const err = await p.then(() => null, (e: unknown) => e as { code: string; details: string[] });
          assert.equal(err?.code, 'STORE_ERR_INVALID');
          return err!.details.map((d) => d.split(' ')[0]);
        };
        assert.deepEqual(await codes(s.updateCampaign(a.cmp.id, { budget_micros: big + 2, currency: 'XXX' })), ['STORE_ERR_BAD_AMOUNT', 'STORE_ERR_BAD_CURRENCY']);
        assert.deepEqual(await codes(s.createLineItem(lineItem(a.cmp.id, { price_model: 'cpa' as never, price_micros: 0.5 }))), ['STORE_ERR_BAD_PRICE_MODEL', 'STORE_ERR_BAD_AMOUNT']);
        assert.deepEqual(await codes(s.createPublisher({ name: 'p', rev_share_bps: -1 })), ['STORE_ERR_BAD_REV_SHARE']);
      }));

    it('stores an SQL injection attempt literally and matches ids exactly', () =>
      withStore(async (s) => {
        const evil = "'); DROP TABLE campaigns; --";
        const a = await tree(s);
        const adv = await s.createAdvertiser({ name: evil });
        const cmp = await s.createCampaign(campaign(adv.id, { name: evil, exclusion_labels: [evil] }));
        const li = await s.createLineItem(lineItem(cmp.id, { name: `${evil} "x" \\`, targeting: `name = '${evil}'` }));
        assert.equal((await s.getCampaign(cmp.id))?.name, evil);
        assert.deepEqual((await s.getCampaign(cmp.id))?.exclusion_labels, [evil]);
        assert.equal((await s.getLineItem(li.id))?.targeting, `name = '${evil}'`);
        assert.equal((await s.getAdvertiser(adv.id))?.name, evil);
        await s.updateCampaign(a.cmp.id, { name: "x' WHERE 1=1; --" });
        assert.equal((await s.getCampaign(cmp.id))?.name, evil, 'the update touched one row');
        assert.equal(await s.getCampaign("x' OR '1'='1"), undefined);
        assert.deepEqual(await s.listCampaigns({ advertiser_id: "' OR 1=1 --" }), []);
        assert.equal((await s.listCampaigns()).length, 2);
        // Ids are compared exactly: case matters.
        const upper = await s.createAdvertiser({ id: 'adv_CaSe', name: 'upper' });
        const lower = await s.createAdvertiser({ id: 'adv_case', name: 'lower' });
        assert.deepEqual(await s.getAdvertiser('adv_CaSe'), upper);
        assert.deepEqual(await s.getAdvertiser('adv_case'), lower);
        assert.equal(await s.getAdvertiser('ADV_CASE'), undefined);
      }));
  });
}
