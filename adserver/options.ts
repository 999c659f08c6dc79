import { Type } from '@sinclair/typebox';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { storeSchema, refineStore } from '../store/options.js';

const adserverSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'address to listen on (0.0.0.0 for all)' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8082, description: 'port of the ad server (0 picks a free one)' }),
  trackingUrl: Type.String({ default: 'http://127.0.0.1:8081', description: 'base URL of the tracking tier, for impression and click beacon URLs' }),
  beaconSecret: Type.String({ default: 'sluice-dev-beacon-secret', minLength: 16, description: 'HMAC secret shared with tracking to sign decision ids (set it in production)' }),
  decisionTtlSeconds: Type.Integer({ minimum: 10, maximum: 7 * 86400, default: 3600, description: 'how long an answer (and its beacons) stays valid' }),
  reloadIntervalMs: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000, description: 'how often the store is asked whether campaigns changed' }),
  planIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 60_000, description: 'how often pacing re-plans every line item' }),
  capMaxDevices: Type.Integer({ minimum: 1000, maximum: 100_000_000, default: 2_000_000, description: 'devices remembered for frequency caps (bounded memory; least recent forgotten first)' }),
  capMaxMb: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1024, description: 'estimated memory for frequency caps, MB (with --cap-max-devices, whichever is reached first forgets the least recent device)' }),
  storeTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: 'a campaign refresh or delivery read the store has not answered in this time counts as failed; /healthz answers 503 while one hangs longer' }),
  maxAds: Type.Integer({ minimum: 1, maximum: 20, default: 5, description: 'most ads one request may ask for with n=' }),
  prefetchMaxDays: Type.Integer({ minimum: 1, maximum: 30, default: 7, description: 'most days one prefetch may ask for with days=' }),
  nodeId: Type.String({ default: '', maxLength: 100, pattern: '^[A-Za-z0-9_.:-]*$', description: 'name of this node in the fleet\'s shared counts (default: host name and process id; a start time is added, so a restart counts as a new node)' }),
  fleet: Type.Boolean({ default: true, description: 'share delivery counts with the other ad server nodes through the report store at each plan, so goals hold across the fleet' }),
  fleetLeaseMs: Type.Integer({ minimum: 0, maximum: 86_400_000, default: 0, description: 'a node that has not written its counts for this long no longer counts as live (its traffic share and pending decisions drop out; what it delivered stays); 0: three plan intervals' }),
  goalsCount: Type.Union([Type.Literal('impressions'), Type.Literal('decisions')], { default: 'impressions', description: 'what counts toward goals: impressions (a decision is pending until its impression beacon reaches tracking or its token expires) or decisions (every decision counts; for a deployment whose tracking does not write to the report store)' }),
  logLevel: logLevelOption,
  ...storeSchema.properties,
});

export const adserverSpec: CommandSpec<typeof adserverSchema> = {
  name: 'adserver',
  summary: 'ad decisions from memory on uWebSockets.js: GET /v1/ad and /v1/ads/prefetch',
  schema: adserverSchema,
  refine: (c) => {
    const p = refineStore(c);
    try {
      const u = new URL(c.trackingUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      p.push(`--tracking-url: expected an http(s) URL, got ${JSON.stringify(c.trackingUrl)}`);
    }
    return p;
  },
};
