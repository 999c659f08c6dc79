/**
 * Video ads as VAST: the real `@dailymotion/vast-client` fetches Sluice's `/v1/vast` answer,
 * parses it, and its VASTTracker fires the impression and the linear events as a player would
 * (start, quartiles, complete); tracking records them, the pipeline and the jobs run, and the
 * store's campaign facts hold the impressions and the video events.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VASTClient, VASTTracker } from '@dailymotion/vast-client';
import { createLogger } from '../common/logger.js';
import { DAY_MS } from '../common/time.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { tmp } from './helpers/fleet.js';
import { duck, runPipelineOnce } from './helpers/pipeline.js';
import { runJobs } from './helpers/jobs.js';
import { startTestTracking } from './helpers/tracking.js';

const SECRET = 'vast-test-secret';
const MEDIA = 'https://cdn.example/ads/spring-15s.mp4';

// vast-client fires tracking pixels with `new Image()` when it sees a window and does nothing
// in Node: while the tracker runs, the smallest browser stand-in, so the client's own resolved
// URLs are requested over HTTP. (Parsing runs without it: with a window it wants the browser's DOMParser.)
const fired: Promise<Response>[] = [];
class Pixel {
  set src(url: string) {
    fired.push(fetch(url));
  }
}
function asBrowser(fn: () => void): void {
  Object.assign(globalThis, { window: { location: { protocol: 'http:' } }, Image: Pixel });
  try {
    fn();
  } finally {
    delete (globalThis as { window?: unknown }).window;
  }
}

describe('video ads as VAST 4', () => {
  const dir = tmp('vast');
  const dbPath = join(dir, 'sluice.db');
  const lakeDir = join(dir, 'lake');
  const now = Date.now();
  let store: SqliteStore;
  let tracking: Awaited<ReturnType<typeof startTestTracking>>;
  let ads: RunningAdServer;

  before(async () => {
    store = new SqliteStore({ path: dbPath });
    await store.migrate();
    await store.createPublisher({ id: 'pub_v', name: 'Pub' });
    await store.createApp({ id: 'app_v', publisher_id: 'pub_v', name: 'Video App', platform: 'both', attribution_lookback_days: 7, attribution_model: 'last_touch' });
    await store.createSlot({ id: 'slot_pre', app_id: 'app_v', name: 'preroll', size: '640x360' });
    await store.createAdvertiser({ id: 'adv_v', name: 'Adv' });
    await store.createCampaign({ id: 'cmp_v', advertiser_id: 'adv_v', name: 'Spring', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', budget_micros: 0, priority: 5, exclusion_labels: [] });
    await store.createLineItem({
      id: 'li_v', campaign_id: 'cmp_v', name: 'preroll', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', goal_type: 'impressions', goal: 1000,
      delivery: 'asap', country_split: null, targeting: '', cap_count: 1, cap_window_ms: DAY_MS, price_model: 'cpm', price_micros: 20_000_000, slot_ids: [],
    });
    await store.createCreative({ id: 'cr_v', line_item_id: 'li_v', name: 'Spring <15s> & more\u0001', kind: 'video', size: '640x360', payload: JSON.stringify({ media_url: MEDIA, duration_s: 15 }), click_url: 'https://adv.example/spring', weight: 1 });
    // A display campaign of higher priority on the same slot size: /v1/vast must pass it by for the video.
    await store.createCampaign({ id: 'cmp_img', advertiser_id: 'adv_v', name: 'Banner', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', budget_micros: 0, priority: 9, exclusion_labels: [] });
    await store.createLineItem({
      id: 'li_img', campaign_id: 'cmp_img', name: 'big banner', start_at: now - DAY_MS, end_at: now + DAY_MS, status: 'active', goal_type: 'impressions', goal: 1000,
      delivery: 'asap', country_split: null, targeting: '', cap_count: 0, cap_window_ms: 0, price_model: 'cpm', price_micros: 20_000_000, slot_ids: [],
    });
    await store.createCreative({ id: 'cr_img', line_item_id: 'li_img', name: 'banner', kind: 'image', size: '640x360', payload: 'https://cdn.example/b.png', click_url: 'https://adv.example', weight: 1 });
    tracking = await startTestTracking({ beaconSecret: SECRET, appKeysFromStore: false, lakeDir, dataDir: join(dir, 'tracking') });
    ads = await startAdServer(
      { host: '127.0.0.1', port: 0, trackingUrl: tracking.url, beaconSecret: SECRET, decisionTtlSeconds: 600, reloadIntervalMs: 60_000, planIntervalMs: 600_000, capMaxDevices: 10_000, maxAds: 5, prefetchMaxDays: 7 },
      store, createLogger('vast', 'silent'),
    );
  });
  after(async () => {
    await ads.close();
    await tracking.close().catch(() => undefined);
    await store.close();
  });

  test('a video creative with a payload that is not its media and length is refused', async () => {
    const bad = store.createCreative({ id: 'cr_bad', line_item_id: 'li_v', name: 'x', kind: 'video', size: '640x360', payload: 'https://cdn.example/x.mp4', click_url: '', weight: 1 });
    await assert.rejects(bad, (e: Error & { code?: string }) => e.code === 'STORE_ERR_INVALID' && /payload: a video payload must be JSON/.test(e.message));
  });

  test('players parse the answer, fire its impression and quartiles, and the store counts them', async () => {
    const client = new VASTClient();
    // Three viewers: two watch to the end, one leaves after the midpoint.
    for (const [device, watched] of [['tv-1', 15], ['tv-2', 15], ['tv-3', 8]] as const) {
      const res = await client.get(`${ads.url}/v1/vast?app=app_v&slot=slot_pre&device=${device}&platform=android`);
      assert.equal(res.ads.length, 1, 'one ad');
      const ad = res.ads[0]!;
      const creative = ad.creatives.find((c: { type: string }) => c.type === 'linear')!;
      assert.equal(creative.duration, 15);
      assert.equal(creative.mediaFiles[0]!.fileURL, MEDIA);
      assert.equal(creative.mediaFiles[0]!.width, 640);
      assert.equal(ad.title, 'Spring <15s> & more\uFFFD', 'text is escaped in the XML and read back whole; a character XML cannot hold is replaced');
      asBrowser(() => {
        const tracker = new VASTTracker(client, ad, creative);
        tracker.trackImpression();
        for (let t = 0; t <= watched; t++) tracker.setProgress(t);
        if (watched === 15) tracker.complete();
      });
    }
    // The display ad still wins /v1/ad on the same slot.
    const display = (await (await fetch(`${ads.url}/v1/ad?app=app_v&slot=slot_pre&device=tv-9&platform=android`)).json()) as { ads: { kind: string }[] };
    assert.equal(display.ads[0]!.kind, 'image');
    const answers = await Promise.all(fired);
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [204], 'tracking took every beacon');
    // A full view fires the impression and five events (start, three quartiles, complete); the third viewer's, the impression and three.
    assert.equal(answers.length, 16);
    // The cap (1 a day): the same device gets no ad, as an empty VAST document.
    const again = await (await fetch(`${ads.url}/v1/vast?app=app_v&slot=slot_pre&device=tv-1&platform=android`)).text();
    assert.match(again, /<VAST version="4.2"[^>]*\/>$/);

    await tracking.close();
    await runPipelineOnce(lakeDir, dbPath);
    const run = await runJobs(lakeDir, store, { stateDir: join(dir, 'state') });
    assert.equal(run.status, 'succeeded', run.error ?? '');
    const facts = await store.campaignHourly({ campaign_id: 'cmp_v', fromHour: now - DAY_MS, toHour: now + DAY_MS });
    assert.equal(facts.reduce((s, r) => s + r.impressions, 0), 3);
    assert.equal(facts.reduce((s, r) => s + r.interactions, 0), 13, 'start, quartiles and completes land as ad interactions');
    const byEvent = await duck(lakeDir, (events) => `select name, count(*) from ${events} where type = 'ad_interaction' group by name order by name`);
    assert.deepEqual(byEvent.map(([n, c]) => [n, Number(c)]), [['complete', 2], ['firstQuartile', 3], ['midpoint', 3], ['start', 3], ['thirdQuartile', 2]]);
  });
});
