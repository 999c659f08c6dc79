import { createHash } from 'node:crypto';
import { Rng, cumulative, mixSeed } from './rng.js';

/** The publishers, apps, slots, advertisers, campaigns and creatives a fleet plays against. */
export interface World {
  seed: number;
  publishers: { publisher_id: string; name: string }[];
  apps: {
    app_id: string;
    publisher_id: string;
    name: string;
    /** The key the app's SDK sends in X-Sluice-App-Key. */
    app_key: string;
    /** Share of its devices on iOS. */
    ios_share: number;
    app_versions: string[];
    slots: { slot_id: string; size: string }[];
    /** Relative number of devices. */
    weight: number;
  }[];
  advertisers: { advertiser_id: string; name: string }[];
  campaigns: { campaign_id: string; advertiser_id: string; name: string; creatives: string[]; weight: number }[];
}

const APP_WORDS = ['Puzzle', 'Runner', 'Chef', 'Garden', 'Quiz', 'Racer', 'Tiles', 'Weather', 'Fitness', 'News', 'Photo', 'Music'];
const BRANDS = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Soylent', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell'];

const pad = (n: number, w = 4) => String(n).padStart(w, '0');

/** Builds the world for a seed: the same seed gives the same ids and keys. */
export function buildWorld(seed: number, appCount: number): World {
  const rng = new Rng(mixSeed(seed, 0x77001d), 1);
  const pubCount = Math.max(1, Math.ceil(appCount / 4));
  const publishers = Array.from({ length: pubCount }, (_, i) => ({ publisher_id: `pub_${pad(i + 1)}`, name: `${BRANDS[i % BRANDS.length]} Games ${i + 1}` }));
  const apps = Array.from({ length: appCount }, (_, i) => {
    const app_id = `app_${pad(i + 1)}`;
    const versions = rng.range(2, 4);
    const major = rng.range(1, 6);
    const slotCount = rng.range(1, 3);
    return {
      app_id,
      publisher_id: publishers[i % pubCount]!.publisher_id,
      name: `${APP_WORDS[i % APP_WORDS.length]} ${i + 1}`,
      app_key: 'ak_' + createHash('sha256').update(`${seed}:${app_id}`).digest('base64url').slice(0, 32),
      ios_share: 0.25 + rng.next() * 0.5,
      app_versions: Array.from({ length: versions }, (_, v) => `${major}.${v}.${rng.range(0, 9)}`),
      slots: Array.from({ length: slotCount }, (_, s) => ({ slot_id: `${app_id}_slot${s + 1}`, size: s === 0 ? '320x50' : s === 1 ? '300x250' : '320x480' })),
      // Zipf-like popularity: a few big apps, a long tail.
      weight: 1 / (i + 1) ** 0.8,
    };
  });
  const advCount = Math.max(1, Math.ceil(appCount / 5));
  const advertisers = Array.from({ length: advCount }, (_, i) => ({ advertiser_id: `adv_${pad(i + 1)}`, name: `${BRANDS[(i + 3) % BRANDS.length]} Brands ${i + 1}` }));
  const campaignCount = Math.max(3, Math.ceil(appCount / 2));
  const campaigns = Array.from({ length: campaignCount }, (_, i) => {
    const campaign_id = `cmp_${pad(i + 1)}`;
    return {
      campaign_id,
      advertiser_id: advertisers[i % advCount]!.advertiser_id,
      name: `Campaign ${i + 1}`,
      creatives: Array.from({ length: rng.range(1, 3) }, (_, c) => `${campaign_id}_cr${c + 1}`),
      weight: 1 + rng.int(5),
    };
  });
  return { seed, publishers, apps, advertisers, campaigns };
}

/** Cumulative app weights, for drawing the app of a device. */
export function appCumulative(world: World): number[] {
  return cumulative(world.apps.map((a) => a.weight));
}
