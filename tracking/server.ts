import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../common/logger.js';
import type { AppKeys } from './app-keys.js';
import type { ImpressionCounts } from './impression-counts.js';
import { BeaconChecker, type BeaconKind } from './beacons.js';
import { TrackingError, TrackingErrorCode as E, type TrackingErrorCode } from './errors.js';
import { errorBody } from '../common/error-codes.js';
import { ingestUpload, type IngestLimits } from './ingest.js';
import type { TrackingMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';
import type { SegmentLog } from './segment-log.js';
import { LiveRing } from './live.js';
import { addSegmentRoutes, encodingLabel } from './segment-routes.js';
import { VIDEO_EVENTS } from '../common/video-payload.js';
import { timingSafeEqual } from 'node:crypto';
import type { Shipper } from './shipper.js';
import type { InflightBytes } from '../common/inflight-bytes.js';

/** How long a client may take, ms (node's http server enforces them; see DESIGN.md, Security). */
interface TrackingTimeouts {
  /** The request's headers must have arrived within this. */
  headersMs: number;
  /** The whole request, headers and body, must have arrived within this. */
  bodyMs: number;
  /** No traffic on a connection this long, during a request or its answer. */
  idleMs: number;
  /** An idle keep-alive connection lives this long. */
  keepAliveMs: number;
}

interface TrackingAppOptions {
  limits: IngestLimits;
  maxBodyBytes: number;
  /** Request body bytes held at once; past its cap requests get 503 TRK_ERR_BUSY before their body is read. */
  inflight: InflightBytes;
  timeouts: TrackingTimeouts;
  retryAfterSeconds: number;
  beaconSecret: string;
  rateLimitPerKey: number;
  rateLimitPerIp: number;
  appKeys: AppKeys;
  segments: SegmentLog;
  shipper?: Shipper;
  metrics: TrackingMetrics;
  log: Logger;
  /** Accepted impression beacons per line item, for fleet pacing (published by run.ts). */
  impressions?: ImpressionCounts;
  /** Shared secret of GET /v1/live (the reporting UI's live view); '' turns it off. */
  liveToken: string;
}

// Precompiled answer serializer (fast-json-stringify through fastify's response schema).
const uploadAnswer = {
  200: {
    type: 'object',
    properties: {
      accepted: { type: 'integer' },
      received_at: { type: 'integer' },
      rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, code: { type: 'string' }, field: { type: 'string' }, reason: { type: 'string' } } } },
    },
  },
} as const;

const FASTIFY_ERRORS: Record<string, TrackingErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: E.BODY_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: E.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_EMPTY_JSON_BODY: E.BAD_BODY,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: E.BAD_BODY,
};
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the content-length does not match the body',
};

/** Any error a tracking route meets, as the TrackingError its answer reports. */
function asTrackingError(err: FastifyError | TrackingError, maxBodyBytes: number): TrackingError {
  if (err instanceof TrackingError) return err;
  const mapped = err.code === undefined ? undefined : FASTIFY_ERRORS[err.code];
  if (mapped === E.BODY_TOO_LARGE) return new TrackingError(mapped, `the body is larger than ${maxBodyBytes} bytes; send smaller batches`);
  if (mapped !== undefined) return new TrackingError(mapped, FASTIFY_MESSAGES[err.code]);
  // One status a code: a 404 from elsewhere (a store miss) stays a 404, any other 4xx answers 400.
  if (err.statusCode !== undefined && err.statusCode < 500) return new TrackingError(err.statusCode === 404 ? E.NOT_FOUND : E.BAD_REQUEST, err.message);
  return new TrackingError(E.INTERNAL);
}

/** The tier's rate limits (per IP, and per key when given): throws TRK_ERR_RATE_LIMITED. */
type Limit = (req: FastifyRequest, key: string | undefined) => void;

function rateLimits(perKey: number, perIp: number): Limit {
  const byKey = new RateLimiter(perKey);
  const byIp = new RateLimiter(perIp);
  return (req, key) => {
    const now = Date.now();
    const wait = Math.max(byIp.take(req.ip, now), key ? byKey.take(key, now) : 0);
    if (wait > 0) throw new TrackingError(E.RATE_LIMITED, 'too many requests; slow down', undefined, wait);
  };
}

/** The fastify instance with node's client timeouts and the body limit; no routes yet. */
function createApp(log: Logger, maxBodyBytes: number, t: TrackingTimeouts): FastifyInstance {
  // Node checks the header and request deadlines on a timer (30 s by default): tick often enough that they hold to within a quarter.
  const checkEvery = Math.max(50, Math.min(1000, Math.floor(Math.min(t.headersMs, t.bodyMs) / 4)));
  return Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Metrics over logs: no log line per request on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: maxBodyBytes, return503OnClosing: true,
    connectionTimeout: t.idleMs, keepAliveTimeout: t.keepAliveMs, requestTimeout: t.bodyMs,
    http: { headersTimeout: t.headersMs, requestTimeout: t.bodyMs, connectionsCheckingInterval: checkEvery },
  });
}

/** The body parser (raw bytes) and the error and not-found answers (errorBody). */
function addBodyAndErrors(app: FastifyInstance, maxBodyBytes: number): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // Keep the raw bytes: gzip bodies are stored as they came, and parsing is ours (limits, positions).
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError | TrackingError, req, reply) => {
    const e = asTrackingError(err, maxBodyBytes);
    if (e.code === E.INTERNAL) req.log.error({ err }, 'tracking request failed');
    if (e.retryAfter !== undefined) void reply.header('retry-after', String(e.retryAfter));
    void reply.code(e.statusCode).send(errorBody(e.statusCode, e.code, e.message, e.details));
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send(errorBody(404, E.NOT_FOUND, 'no such route'));
  });
}

/** The hooks every request passes: the in-flight body bytes cap, and the request count. */
function addLimits(app: FastifyInstance, inflight: InflightBytes, m: TrackingMetrics, retryAfterSeconds: number): void {
  // Before any body byte is read: reserve what the request declares, or refuse it while too much is held.
  app.addHook('onRequest', (req, reply, done) => {
    const n = inflight.declared(req.headers);
    if (n === 0 || inflight.reserve(reply.raw, n)) return done();
    m.inflightRefused.inc();
    done(new TrackingError(E.BUSY, `too many request bytes are held at once (over ${inflight.cap}); retry later`, undefined, retryAfterSeconds));
  });

  app.addHook('onResponse', (req, reply, done) => {
    m.requests.inc({ route: req.routeOptions.url ?? 'unknown', status: reply.statusCode });
    done();
  });
}

interface UploadRouteOptions {
  appKeys: AppKeys;
  limits: IngestLimits;
  segments: SegmentLog;
  metrics: TrackingMetrics;
  live: LiveRing;
  limit: Limit;
  maxBodyBytes: number;
}

/** POST /v1/events (the native upload), and the Segment API's routes onto the same durable path. */
function addUploadRoutes(app: FastifyInstance, o: UploadRouteOptions): void {
  const { metrics: m, live, limit } = o;
  app.post('/v1/events', { schema: { response: uploadAnswer } }, async (req, reply: FastifyReply) => {
    const t0 = performance.now();
    const receivedAt = Date.now();
    const key = req.headers['x-sluice-app-key'];
    const appKey = typeof key === 'string' ? key : undefined;
    limit(req, appKey);
    let appId: string | undefined;
    if (o.appKeys.enforcing) {
      appId = appKey ? o.appKeys.appOf(appKey) : undefined;
      if (appId === undefined) throw new TrackingError(E.BAD_APP_KEY, appKey ? 'unknown app key' : 'missing X-Sluice-App-Key header');
    }
    const raw = req.body as Buffer;
    m.bodyBytes.inc({ encoding: encodingLabel(req.headers['content-encoding']) }, raw.length);
    let result;
    try {
      result = await ingestUpload(raw, req.headers['content-encoding'], receivedAt, appId, o.limits);
    } catch (err) {
      if (err instanceof TrackingError && err.code === E.NO_VALID_EVENTS) {
        for (const r of (err.details as { rejected: { code: string }[] }).rejected) m.eventsRejected.inc({ reason: r.code });
      }
      throw err;
    }
    await o.segments.append(result.frame);
    m.eventsAccepted.inc(result.accepted);
    live.record(result.accepted, result.latest);
    for (const r of result.rejected) m.eventsRejected.inc({ reason: r.code });
    m.ackSeconds.observe((performance.now() - t0) / 1000);
    return reply.send({ accepted: result.accepted, received_at: receivedAt, rejected: result.rejected });
  });

  // The Segment HTTP Tracking API (Segment's and RudderStack's SDKs), onto the same durable path.
  addSegmentRoutes(app, { appKeys: o.appKeys, limits: o.limits, segments: o.segments, metrics: m, live, limit, answer: uploadAnswer, maxBodyBytes: o.maxBodyBytes });
}

interface BeaconRouteOptions {
  beaconSecret: string;
  segments: SegmentLog;
  metrics: TrackingMetrics;
  impressions?: ImpressionCounts;
  limit: Limit;
}

/** The beacons: impression, click, and the VAST video events. */
function addBeaconRoutes(app: FastifyInstance, o: BeaconRouteOptions): void {
  const { metrics: m, limit } = o;
  const beacons = new BeaconChecker(o.beaconSecret);
  const beacon = (kind: BeaconKind) => async (req: FastifyRequest<{ Querystring: { t?: string } }>, reply: FastifyReply) => {
    limit(req, undefined);
    const token = req.query.t;
    if (typeof token !== 'string' || token === '') {
      m.beacons.inc({ kind, outcome: 'malformed' });
      throw new TrackingError(E.BAD_BEACON, 'the beacon needs its decision token ?t=');
    }
    const out = beacons.check(kind, token, Date.now());
    if (!out.ok) {
      // Counted as rejected, never as an impression or click; the answer does not tell a forger why.
      m.beacons.inc({ kind, outcome: out.reason });
      return reply.code(204).header('cache-control', 'no-store').send();
    }
    try {
      await o.segments.append(out.frame);
    } catch (err) {
      beacons.forget(kind, out.decision.d);
      throw err;
    }
    m.beacons.inc({ kind, outcome: 'accepted' });
    if (kind === 'impression' && out.decision.line_item) o.impressions?.record(out.decision.line_item, out.decision.iat, out.decision.exp);
    if (kind === 'click' && out.decision.url) return reply.redirect(out.decision.url, 302);
    return reply.code(204).header('cache-control', 'no-store').send();
  };
  app.get('/v1/b/imp', beacon('impression'));
  app.get('/v1/b/clk', beacon('click'));
  // VAST linear tracking (the ad server's /v1/vast): start, quartiles and complete, each once per decision.
  const videoBeacons = new Map(VIDEO_EVENTS.map((e) => [e as string, beacon(e)]));
  app.get('/v1/b/vid', async (req: FastifyRequest<{ Querystring: { t?: string; e?: string } }>, reply: FastifyReply) => {
    const handler = videoBeacons.get(req.query.e ?? '');
    if (handler === undefined) {
      limit(req, undefined);
      m.beacons.inc({ kind: 'video', outcome: 'malformed' });
      throw new TrackingError(E.BAD_BEACON, `the video beacon needs ?e= one of ${VIDEO_EVENTS.join(', ')}`);
    }
    return handler(req, reply);
  });
}

interface StatusRouteOptions {
  segments: SegmentLog;
  shipper?: Shipper;
  metrics: TrackingMetrics;
  live: LiveRing;
  /** GET /v1/live's shared secret; '' turns it off. */
  liveToken: string;
}

/** GET /healthz, /v1/live (the reporting UI's live view) and /metrics. */
function addStatusRoutes(app: FastifyInstance, o: StatusRouteOptions): void {
  const { metrics: m, live } = o;
  const liveToken = Buffer.from(o.liveToken);
  app.get('/healthz', async () => ({
    status: 'ok',
    open_segment: o.segments.openSegment,
    sealed_waiting: o.segments.sealed().length,
    ship_lag_seconds: o.shipper ? o.shipper.lagSeconds() : null,
  }));
  app.get('/v1/live', async (req: FastifyRequest<{ Querystring: { since?: string } }>) => {
    const given = Buffer.from(String(req.headers['x-sluice-live-token'] ?? ''));
    // Off without a token; a wrong token answers the same 404 (the feed's existence is not told).
    if (liveToken.length === 0 || given.length !== liveToken.length || !timingSafeEqual(given, liveToken)) throw new TrackingError(E.NOT_FOUND, 'no such route');
    return live.since(Number(req.query.since) || 0);
  });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', m.registry.contentType).send(await m.registry.metrics()));
}

/** The tracking HTTP API: uploads, beacons, health and metrics. Entry files only wire this up. */
export function buildTrackingApp(o: TrackingAppOptions): FastifyInstance {
  const app = createApp(o.log, o.maxBodyBytes, o.timeouts);
  const m = o.metrics;
  const live = new LiveRing();
  const limit = rateLimits(o.rateLimitPerKey, o.rateLimitPerIp);
  addBodyAndErrors(app, o.maxBodyBytes);
  addLimits(app, o.inflight, m, o.retryAfterSeconds);
  addUploadRoutes(app, { appKeys: o.appKeys, limits: o.limits, segments: o.segments, metrics: m, live, limit, maxBodyBytes: o.maxBodyBytes });
  addBeaconRoutes(app, { beaconSecret: o.beaconSecret, segments: o.segments, metrics: m, impressions: o.impressions, limit });
  addStatusRoutes(app, { segments: o.segments, shipper: o.shipper, metrics: m, live, liveToken: o.liveToken });
  return app;
}
