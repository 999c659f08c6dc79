/**
 * The Segment HTTP Tracking API on the tracking tier: `POST /v1/batch`, `/v1/track`,
 * `/v1/screen`, `/v1/identify`, `/v1/page`, `/v1/group`, `/v1/alias`, as Segment's and
 * RudderStack's SDKs send them. The write key is the basic-auth user (or the body's
 * `writeKey`); with app keys configured it must be one of them (it names the app), without
 * them (development) it is taken as the app id. Messages are mapped onto the native contract
 * (segment-map.ts) and stored like a native upload: acknowledged after fsync, the same
 * validation, rate limits and answer (`accepted`, `received_at`, `rejected` by message index).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppKeys } from './app-keys.js';
import { TrackingError, TrackingErrorCode as E } from './errors.js';
import { ingestParsed, parseBody, type IngestLimits, type IngestResult, type RejectedEvent } from './ingest.js';
import type { TrackingMetrics } from './metrics.js';
import type { SegmentLog } from './segment-log.js';
import { mapSegmentBody, SEGMENT_TYPES, type SegmentType } from './segment-map.js';
import type { LiveRing } from './live.js';

interface SegmentRouteOptions {
  appKeys: AppKeys;
  limits: IngestLimits;
  segments: SegmentLog;
  metrics: TrackingMetrics;
  live: LiveRing;
  /** The tier's rate limits (per IP, and per key when given); throws TRK_ERR_RATE_LIMITED. */
  limit(req: FastifyRequest, key: string | undefined): void;
  /** The answer's precompiled serializer (the native route's). */
  answer: object;
  maxBodyBytes: number;
}

/** The metric label of a content-encoding: a fixed set, whatever a client sends. */
export function encodingLabel(v: string | undefined): string {
  return v === undefined || v === 'identity' ? 'identity' : v === 'gzip' ? 'gzip' : 'other';
}

/** The basic-auth user of an Authorization header (Segment's SDKs send `writeKey:`), or undefined. */
function basicUser(header: string | undefined): string | undefined {
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const text = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const user = colon < 0 ? text : text.slice(0, colon);
  return user === '' ? undefined : user;
}

/** Rejections of the native events, back on their messages' indices, with the mapping's own, in message order. */
function byMessage(mapped: readonly RejectedEvent[], native: readonly RejectedEvent[], messageIndex: readonly number[]): RejectedEvent[] {
  const out = [...mapped, ...native.map((r) => ({ ...r, index: messageIndex[r.index]! }))];
  return out.sort((a, b) => a.index - b.index);
}

export function addSegmentRoutes(app: FastifyInstance, o: SegmentRouteOptions): void {
  const m = o.metrics;
  // Helpers made once, not per request.
  const appOf = (key: string): string => {
    if (!o.appKeys.enforcing) return key;
    const app = o.appKeys.appOf(key);
    if (app === undefined) throw new TrackingError(E.BAD_APP_KEY, 'unknown write key');
    return app;
  };
  const refuse = (rejected: RejectedEvent[]): never => {
    for (const r of rejected) m.eventsRejected.inc({ reason: r.code });
    throw new TrackingError(E.NO_VALID_EVENTS, 'no message in the batch is valid; nothing was stored', { rejected });
  };
  const handle = (route: SegmentType | null) => async (req: FastifyRequest, reply: FastifyReply) => {
    const t0 = performance.now();
    const receivedAt = Date.now();
    const raw = req.body as Buffer | undefined;
    if (!Buffer.isBuffer(raw) || raw.length === 0) throw new TrackingError(E.BAD_BODY, 'the body is empty');
    const headerKey = basicUser(req.headers.authorization);
    // A key in the header is checked before any byte of the body is inflated or parsed, as on the native route.
    let appId = headerKey === undefined ? undefined : appOf(headerKey);
    o.limit(req, headerKey);
    m.bodyBytes.inc({ encoding: encodingLabel(req.headers['content-encoding']) }, raw.length);
    const { body } = await parseBody(raw, req.headers['content-encoding'], o.limits);
    if (appId === undefined) {
      // The Segment SDKs also put the write key in the body: then it is checked, and rate-limited, once the body is read.
      const bodyKey = typeof body === 'object' && body !== null && typeof (body as { writeKey?: unknown }).writeKey === 'string' ? (body as { writeKey: string }).writeKey : '';
      if (bodyKey === '') throw new TrackingError(E.BAD_APP_KEY, 'missing write key: send it as the basic-auth user (as the Segment and RudderStack SDKs do)');
      appId = appOf(bodyKey);
      o.limit(req, bodyKey);
    }
    const mapped = mapSegmentBody(body, route, appId, receivedAt);
    if (typeof mapped === 'string') throw new TrackingError(E.BAD_BODY, mapped);
    if (mapped.messages > o.limits.maxEvents) throw new TrackingError(E.BATCH_TOO_LARGE, `a batch may hold at most ${o.limits.maxEvents} messages; this one has ${mapped.messages}; split it`);
    if (mapped.events.length === 0) refuse(mapped.rejected);
    let result: IngestResult;
    try {
      // The mapped events go on as objects: their JSON text is what is stored, with no second parse.
      const native = { events: mapped.events };
      const text = Buffer.from(JSON.stringify(native));
      result = await ingestParsed(native, text, null, text.indexOf(0x5c) !== -1, receivedAt, appId, o.limits, true);
    } catch (err) {
      if (err instanceof TrackingError && err.code === E.NO_VALID_EVENTS) refuse(byMessage(mapped.rejected, (err.details as { rejected: RejectedEvent[] }).rejected, mapped.messageIndex));
      throw err;
    }
    await o.segments.append(result.frame);
    const rejected = byMessage(mapped.rejected, result.rejected, mapped.messageIndex);
    m.eventsAccepted.inc(result.accepted);
    o.live.record(result.accepted, result.latest);
    for (const r of rejected) m.eventsRejected.inc({ reason: r.code });
    m.ackSeconds.observe((performance.now() - t0) / 1000);
    return reply.send({ accepted: result.accepted, received_at: receivedAt, rejected });
  };
  // In a scope of their own: these SDKs label their bodies loosely (RudderStack's gzip batches
  // come without application/json), so any content type is read as the raw body here.
  void app.register(async (scope) => {
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, (_req, body, done) => done(null, body));
    scope.post('/v1/batch', { schema: { response: o.answer } }, handle(null));
    for (const t of SEGMENT_TYPES) scope.post(`/v1/${t}`, { schema: { response: o.answer } }, handle(t));
  });
}
