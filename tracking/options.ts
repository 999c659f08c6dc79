import { Type } from '@sinclair/typebox';
import { hostname } from 'node:os';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { lakeSchema, refineLake } from '../lake/options.js';
import { storeSchema, refineStore } from '../store/options.js';

export const trackingProperties = {
  host: Type.String({ default: '127.0.0.1', description: 'address to listen on (0.0.0.0 for all)' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'port to listen on (0 picks a free one)' }),
  dataDir: Type.String({ default: './data/tracking', description: 'where segments are written (segments/ and segments/shipped/ below it)' }),
  nodeId: Type.String({ default: '', pattern: '^[A-Za-z0-9._]*$', description: 'id of this tracking process in segment names (default: host name and port); unique per process' }),
  maxBodyKb: Type.Integer({ minimum: 1, maximum: 65536, default: 1024, description: 'largest request body as sent, KiB (413 above)' }),
  maxInflatedKb: Type.Integer({ minimum: 1, maximum: 262144, default: 8192, description: 'largest body after gunzip, KiB (413 above; stops gzip bombs)' }),
  maxEvents: Type.Integer({ minimum: 1, maximum: 100000, default: 1000, description: 'most events in one batch (413 above)' }),
  retentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 400, description: 'events older than this are rejected (EVT_TOO_OLD)' }),
  maxFutureMinutes: Type.Integer({ minimum: 0, maximum: 10080, default: 60, description: 'events further ahead than this are rejected (EVT_IN_FUTURE)' }),
  rollSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86400, default: 60, description: 'seal the open segment after this many seconds' }),
  rollMb: Type.Number({ exclusiveMinimum: 0, maximum: 4096, default: 64, description: 'seal the open segment at this size, MB' }),
  maxPendingMb: Type.Number({ exclusiveMinimum: 0, maximum: 4096, default: 64, description: 'bytes waiting for the disk at most before 503 (backpressure), MB' }),
  retryAfterSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 2, description: 'Retry-After on 503 answers, seconds' }),
  shipIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 2000, description: 'how often sealed segments are shipped to the lake, ms' }),
  retainShippedHours: Type.Number({ minimum: 0, maximum: 8760, default: 24, description: 'keep local copies of shipped segments this long' }),
  appKeys: Type.String({ default: '', description: 'file of app keys (world.json from sluice sim, or {"key":"app_id"}) to check instead of the report store' }),
  appKeysFromStore: Type.Boolean({ default: true, description: 'check app keys against the report store (refreshed every 5 s); once any app has a key, unknown keys get 401' }),
  beaconSecret: Type.String({ default: 'sluice-dev-beacon-secret', minLength: 16, description: 'HMAC secret shared with the ad server for signed decision ids (set it in production)' }),
  rateLimitPerKey: Type.Number({ minimum: 0, default: 0, description: 'requests per second per app key, 0 = no limit (429 above)' }),
  rateLimitPerIp: Type.Number({ minimum: 0, default: 0, description: 'requests per second per client address, 0 = no limit (429 above)' }),
  liveToken: Type.String({ default: '', description: "shared secret the reporting UI sends to read GET /v1/live (the live view); '' turns the feed off" }),
  logLevel: logLevelOption,
};

/** The node id used in segment names. */
export function resolveNodeId(nodeId: string, port: number): string {
  return nodeId || `${hostname().replace(/[^A-Za-z0-9.]/g, '_')}_${port}`;
}

export const trackingSchema = Type.Object({ ...trackingProperties, ...lakeSchema.properties, ...storeSchema.properties });

export const trackingSpec: CommandSpec<typeof trackingSchema> = {
  name: 'tracking',
  summary: 'event ingest: POST /v1/events and beacons into durable segments, shipped to the lake',
  schema: trackingSchema,
  refine: (c) => [...refineLake(c), ...(c.appKeysFromStore && !c.appKeys ? refineStore(c) : [])],
};
