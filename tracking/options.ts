import { Type, type Static } from '@sinclair/typebox';
import { hostname } from 'node:os';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { MAX_EVENTS_PER_FRAME, MAX_FRAME_BODY_BYTES, MAX_FRAME_BYTES, maxFrameLength } from '../common/segment-format.js';
import { lakeSchema, refineLake } from '../lake/options.js';
import { storeSchema, refineStore } from '../store/options.js';

const trackingProperties = {
  host: Type.String({ default: '127.0.0.1', description: 'address to listen on (0.0.0.0 for all)' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'port to listen on (0 picks a free one)' }),
  dataDir: Type.String({ default: './data/tracking', description: 'where segments are written (segments/ and segments/shipped/ below it)' }),
  nodeId: Type.String({ default: '', pattern: '^[A-Za-z0-9._]*$', description: 'id of this tracking process in segment names (default: host name and port); unique per process' }),
  maxBodyKb: Type.Integer({ minimum: 1, default: 1024, description: `largest request body as sent, KiB (413 above); at most ${Math.floor(MAX_FRAME_BODY_BYTES / 1024)} (a batch is one segment frame)` }),
  maxInflatedKb: Type.Integer({ minimum: 1, maximum: 262144, default: 8192, description: 'largest body after gunzip, KiB (413 above; stops gzip bombs)' }),
  maxEvents: Type.Integer({ minimum: 1, default: 1000, description: `most events in one batch (413 above); at most ${MAX_EVENTS_PER_FRAME} (a frame lists the refused ones)` }),
  maxInflightMb: Type.Number({ exclusiveMinimum: 0, maximum: 65536, default: 64, description: 'request body bytes held at once (declared Content-Length, being received or waiting for the disk), MB; past it 503 TRK_ERR_BUSY with Retry-After' }),
  headersTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000, description: "a request's headers must arrive within this, ms (408 and closed after)" }),
  bodyTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000, description: "a request's headers and body must arrive within this, ms (408 and closed after; stops slow uploads)" }),
  idleTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000, description: 'a connection with no traffic this long during a request or answer is closed, ms' }),
  keepAliveTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 72_000, description: 'an idle keep-alive connection is closed after this, ms (keep it above the load balancer idle timeout)' }),
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
  impressionsToStore: Type.Boolean({ default: true, description: 'publish impression beacon counts per line item to the report store, so the ad servers count impressions, not decisions, toward goals' }),
  impressionFlushMs: Type.Integer({ minimum: 50, maximum: 600_000, default: 2000, description: 'how often impression counts go to the report store, ms' }),
  liveToken: Type.String({ default: '', description: "shared secret the reporting UI sends to read GET /v1/live (the live view); '' turns the feed off" }),
  logLevel: logLevelOption,
};

/** The node id used in segment names. */
export function resolveNodeId(nodeId: string, port: number): string {
  return nodeId || `${hostname().replace(/[^A-Za-z0-9.]/g, '_')}_${port}`;
}

export const trackingSchema = Type.Object({ ...trackingProperties, ...lakeSchema.properties, ...storeSchema.properties });

type Limits = Pick<Static<typeof trackingSchema>, 'maxBodyKb' | 'maxEvents' | 'maxPendingMb' | 'maxInflightMb' | 'headersTimeoutMs' | 'bodyTimeoutMs'>;

/** Option values and combinations the segment frame format and the HTTP server cannot take. */
function refineTrackingLimits(c: Limits): string[] {
  const problems: string[] = [];
  const bodyBytes = c.maxBodyKb * 1024;
  if (bodyBytes > MAX_FRAME_BODY_BYTES) {
    problems.push(`--max-body-kb ${c.maxBodyKb}: a batch is stored as one segment frame of at most ${MAX_FRAME_BYTES} bytes with its metadata; use at most ${Math.floor(MAX_FRAME_BODY_BYTES / 1024)}`);
  }
  if (c.maxEvents > MAX_EVENTS_PER_FRAME) {
    problems.push(`--max-events ${c.maxEvents}: a segment frame's metadata (16-bit length) lists the refused events of batches of at most ${MAX_EVENTS_PER_FRAME}; use at most that`);
  }
  // A frame's body is at most the request body (gzip bodies as sent, others gzipped or as sent).
  const frameBytes = maxFrameLength(Math.min(bodyBytes, MAX_FRAME_BODY_BYTES));
  if (c.maxPendingMb * 1e6 < frameBytes) {
    problems.push(`--max-pending-mb ${c.maxPendingMb}: must hold at least one largest frame (--max-body-kb ${c.maxBodyKb} plus metadata, ${frameBytes} bytes), or such batches are refused forever`);
  }
  if (c.maxInflightMb * 1e6 < bodyBytes) {
    problems.push(`--max-inflight-mb ${c.maxInflightMb}: must hold at least one largest body (--max-body-kb ${c.maxBodyKb}), or such bodies are refused forever`);
  }
  if (c.headersTimeoutMs > c.bodyTimeoutMs) {
    problems.push(`--headers-timeout-ms ${c.headersTimeoutMs} is longer than --body-timeout-ms ${c.bodyTimeoutMs}, which covers headers and body; make it at most that`);
  }
  return problems;
}

export const trackingSpec: CommandSpec<typeof trackingSchema> = {
  name: 'tracking',
  summary: 'event ingest: POST /v1/events and beacons into durable segments, shipped to the lake',
  schema: trackingSchema,
  refine: (c) => [...refineTrackingLimits(c), ...refineLake(c), ...(c.appKeysFromStore && !c.appKeys ? refineStore(c) : [])],
};
