import type { LiveEvent } from '../common/live-event.js';
import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { RejectCode } from '../common/errors.js';
import { validateDevice, validateInBatch, validateShape, type Rejection, type ValidateOptions } from '../common/event-validator.js';
import type { DeviceContext } from '../common/event-schema.js';
import { Codec, FrameKind, FrameLimitError, encodeFrame } from '../common/segment-format.js';
import { BodyScanner, SCAN_ABOVE_BYTES } from './body-scan.js';
import { gunzipChecked } from './inflate.js';
import { skewCorrection } from '../common/skew.js';
import { TrackingError, TrackingErrorCode as E } from './errors.js';

const gzip = promisify(gzipCb);

export interface IngestLimits {
  maxEvents: number;
  /** Largest body after gunzip: guards against gzip bombs. */
  maxInflatedBytes: number;
  retentionMs: number;
  maxFutureMs: number;
}

export interface RejectedEvent {
  index: number;
  code: string;
  field: string;
  reason: string;
}

export interface IngestResult {
  frame: Buffer;
  accepted: number;
  rejected: RejectedEvent[];
  receivedAt: number;
  /** The last few accepted events, small, for the live view (no device id). */
  latest: LiveEvent[];
}

const LIVE_PER_BATCH = 3;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Where JSON.parse broke, in words a client developer can act on. */
function jsonError(err: unknown): string {
  return err instanceof Error ? err.message : 'unreadable JSON';
}

/** A request body as JSON: gunzipped within the limits, structure-checked when large, UTF-8, parsed. */
export async function parseBody(raw: Buffer, encoding: string | undefined, limits: IngestLimits): Promise<{ text: Buffer; gz: boolean; checkStrings: boolean; body: unknown }> {
  let text: Buffer;
  const gz = encoding === 'gzip';
  if (gz) {
    // Size and, past SCAN_ABOVE_BYTES, structure are checked while it inflates.
    text = await gunzipChecked(raw, limits.maxInflatedBytes, limits.maxEvents);
  } else if (encoding === undefined || encoding === 'identity') {
    text = raw;
    // Structure before parsing, for bodies big enough that their parse could stall the event loop.
    if (text.length > SCAN_ABOVE_BYTES) new BodyScanner(limits.maxEvents).push(text);
  } else {
    throw new TrackingError(E.UNSUPPORTED_ENCODING, `content-encoding '${encoding}' is not supported; send gzip or identity`);
  }
  if (!isUtf8(text)) throw new TrackingError(E.BAD_ENCODING, 'the body is not valid UTF-8');
  // NUL and unpaired surrogates can only come from \u escapes: a body with no backslash (memchr) skips the string checks.
  const checkStrings = text.indexOf(0x5c) !== -1;
  let body: unknown;
  try {
    body = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new TrackingError(E.BAD_JSON, `the body is not valid JSON: ${jsonError(err)}`);
  }
  return { text, gz, checkStrings, body };
}

/**
 * Turns one upload request into a segment frame: decode (gzip or identity), check it is UTF-8
 * JSON of the right shape and within limits, validate every event, and answer which were
 * refused and why. Gzip bodies are stored as received (no second compression); identity
 * bodies are gzipped off the main thread by libuv's pool.
 */
export async function ingestUpload(raw: Buffer, encoding: string | undefined, receivedAt: number, appId: string | undefined, limits: IngestLimits): Promise<IngestResult> {
  const { text, gz, checkStrings, body } = await parseBody(raw, encoding, limits);
  return ingestParsed(body, text, gz ? raw : null, checkStrings, receivedAt, appId, limits, false);
}

/**
 * ingestUpload after the parse: `body` parsed from `text` (UTF-8 JSON), `gzipped` the request's
 * gzip bytes of it when it came so (stored as they are). `mapped`: tracking made the body from
 * another SDK's messages (segment-map.ts), so its events may lack seq; that route hands its
 * object and text over here, with no second parse.
 */
export async function ingestParsed(body: unknown, text: Buffer, gzipped: Buffer | null, checkStrings: boolean, receivedAt: number, appId: string | undefined, limits: IngestLimits, mapped: boolean): Promise<IngestResult> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TrackingError(E.BAD_BODY, 'the body must be a JSON object { device, sent_at, events }');
  const { device, events, sent_at: sentAt } = body as { device?: unknown; events?: unknown; sent_at?: unknown };
  if (!Array.isArray(events)) throw new TrackingError(E.BAD_BODY, 'the body needs an "events" array');
  if (events.length === 0) throw new TrackingError(E.BAD_BODY, '"events" is empty');
  if (events.length > limits.maxEvents) throw new TrackingError(E.BATCH_TOO_LARGE, `a batch may hold at most ${limits.maxEvents} events; this one has ${events.length}; split it`);
  if (device !== undefined) {
    const bad = validateDevice(device) ?? validateShape(device as Record<string, unknown>, checkStrings);
    // The answer's code stays TRK_ERR_BAD_BODY (the documented one); the event-level reason goes in the message.
    if (bad) throw new TrackingError(E.BAD_BODY, `"device" is not valid (${bad.code}): ${bad.message}`, { field: bad.field.startsWith('device.') ? bad.field : `device.${bad.field}` });
  }
  if (sentAt !== undefined && (typeof sentAt !== 'number' || !Number.isSafeInteger(sentAt) || sentAt < 0)) throw new TrackingError(E.BAD_BODY, '"sent_at" must be a non-negative integer (ms)');

  const opts: ValidateOptions = { receivedAt, retentionMs: limits.retentionMs, maxFutureMs: limits.maxFutureMs };
  const ctx = device as DeviceContext | undefined;
  const ctxApp = ctx?.app_id;
  const rejected: RejectedEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const ev = events[i] as Record<string, unknown>;
    let why: Rejection | null = validateInBatch(ev, ctx, sentAt as number | undefined, opts, mapped);
    if (!why && appId !== undefined && (ev.app_id ?? ctxApp) !== appId) {
      why = { code: RejectCode.APP_MISMATCH, field: 'app_id', message: 'app_id does not belong to the app key of this upload' };
    }
    if (!why) why = validateShape(ev, checkStrings);
    if (why) rejected.push({ index: i, code: why.code, field: why.field, reason: why.message });
  }
  const accepted = events.length - rejected.length;
  if (accepted === 0) throw new TrackingError(E.NO_VALID_EVENTS, 'no event in the batch is valid; nothing was stored', { rejected });
  const meta: { rejected?: number[]; app_id?: string; skew_ms?: number; source?: string } = {};
  if (mapped) meta.source = 'segment';
  if (rejected.length) meta.rejected = rejected.map((r) => r.index);
  if (appId !== undefined) meta.app_id = appId;
  const skew = typeof sentAt === 'number' ? skewCorrection(sentAt, receivedAt) : 0;
  if (skew !== 0) meta.skew_ms = skew;
  // The live view's sample: the batch's last few accepted events (3 small objects a batch on the hot path; no Set unless something was rejected).
  const latest: LiveEvent[] = [];
  const rejectedAt = meta.rejected;
  for (let i = events.length - 1; i >= 0 && latest.length < LIVE_PER_BATCH; i--) {
    if (rejectedAt !== undefined && rejectedAt.includes(i)) continue;
    const ev = events[i] as Record<string, unknown>;
    const c: Partial<Record<string, unknown>> = ctx ?? {};
    latest.push({ app_id: str(ev.app_id ?? ctxApp), type: str(ev.type), name: str(ev.name), ts: Number(ev.ts), platform: str(ev.platform ?? c.platform), country: str(ev.country ?? c.country), app_version: str(ev.app_version ?? c.app_version) });
  }
  // Gzip bodies go to disk as they came: compressing them again would cost CPU for nothing.
  let codec: number = Codec.Gzip;
  let stored = gzipped ?? (await gzip(text, { level: 1 }));
  // What gzip cannot shrink is stored as it came, so a frame's body is never longer than the request's.
  if (gzipped === null && stored.length >= text.length) {
    codec = Codec.Identity;
    stored = text;
  }
  let frame: Buffer;
  try {
    frame = encodeFrame(FrameKind.Upload, codec, receivedAt, meta, stored);
  } catch (err) {
    // Unreachable with options that passed start-up validation; refused, never a 500 or a frame readers cannot take.
    if (err instanceof FrameLimitError) throw new TrackingError(E.BATCH_TOO_LARGE, `this batch cannot be stored in one segment frame (${err.message}); split it`);
    throw err;
  }
  return { frame, accepted, rejected, receivedAt, latest };
}
