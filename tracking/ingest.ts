import type { LiveEvent } from '../common/live-event.js';
import { isUtf8 } from 'node:buffer';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { RejectCode } from '../common/errors.js';
import { validateDevice, validateInBatch, type Rejection, type ValidateOptions } from '../common/event-validator.js';
import type { DeviceContext } from '../common/event-schema.js';
import { Codec, FrameKind, encodeFrame } from '../common/segment-format.js';
import { skewCorrection } from '../common/skew.js';
import { TrackingError, TrackingErrorCode as E } from './errors.js';

const gunzip = promisify(gunzipCb);
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

/** Known fields are typed by the schema; anything else may be kept but not nested deeper than this. */
const MAX_UNKNOWN_DEPTH = 8;
const KNOWN = new Set(['event_id', 'device_id', 'app_id', 'seq', 'type', 'ts', 'sent_at', 'platform', 'os_version', 'app_version', 'device_model', 'screen', 'country', 'region', 'locale', 'campaign_id', 'creative_id', 'slot_id', 'name', 'props']);

function depth(v: unknown, limit: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (limit === 0) return 1;
  let d = 0;
  for (const x of Object.values(v)) {
    const c = depth(x, limit - 1);
    if (c > d) d = c;
  }
  return d + 1;
}

function tooDeep(e: Record<string, unknown>): string | null {
  for (const k in e) {
    const v = e[k];
    if (typeof v === 'object' && v !== null && !KNOWN.has(k) && depth(v, MAX_UNKNOWN_DEPTH) > MAX_UNKNOWN_DEPTH) return k;
  }
  return null;
}

/** Where JSON.parse broke, in words a client developer can act on. */
function jsonError(err: unknown): string {
  return err instanceof Error ? err.message : 'unreadable JSON';
}

/**
 * Turns one upload request into a segment frame: decode (gzip or identity), check it is UTF-8
 * JSON of the right shape and within limits, validate every event, and answer which were
 * refused and why. Gzip bodies are stored as received (no second compression); identity
 * bodies are gzipped off the main thread by libuv's pool.
 */
export async function ingestUpload(raw: Buffer, encoding: string | undefined, receivedAt: number, appId: string | undefined, limits: IngestLimits): Promise<IngestResult> {
  let text: Buffer;
  const gz = encoding === 'gzip';
  if (gz) {
    try {
      text = await gunzip(raw, { maxOutputLength: limits.maxInflatedBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new TrackingError(E.BODY_TOO_LARGE, `the body inflates to more than ${limits.maxInflatedBytes} bytes`, 413);
      }
      throw new TrackingError(E.BAD_GZIP, `the body is not valid gzip: ${(err as Error).message}`, 400);
    }
  } else if (encoding === undefined || encoding === 'identity') {
    text = raw;
  } else {
    throw new TrackingError(E.BAD_ENCODING, `content-encoding '${encoding}' is not supported; send gzip or identity`, 415);
  }
  if (!isUtf8(text)) throw new TrackingError(E.BAD_ENCODING, 'the body is not valid UTF-8', 400);
  let body: unknown;
  try {
    body = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new TrackingError(E.BAD_JSON, `the body is not valid JSON: ${jsonError(err)}`, 400);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TrackingError(E.BAD_BODY, 'the body must be a JSON object { device, sent_at, events }', 400);
  const { device, events, sent_at: sentAt } = body as { device?: unknown; events?: unknown; sent_at?: unknown };
  if (!Array.isArray(events)) throw new TrackingError(E.BAD_BODY, 'the body needs an "events" array', 400);
  if (events.length === 0) throw new TrackingError(E.BAD_BODY, '"events" is empty', 400);
  if (events.length > limits.maxEvents) throw new TrackingError(E.BATCH_TOO_LARGE, `a batch may hold at most ${limits.maxEvents} events; this one has ${events.length}; split it`, 413);
  if (device !== undefined) {
    const bad = validateDevice(device);
    if (bad) throw new TrackingError(E.BAD_BODY, `"device" is not valid: ${bad.message}`, 400, { code: bad.code, field: bad.field });
    if (tooDeep(device as Record<string, unknown>)) throw new TrackingError(E.BAD_BODY, '"device" is nested too deeply', 400);
  }
  if (sentAt !== undefined && (typeof sentAt !== 'number' || !Number.isSafeInteger(sentAt) || sentAt < 0)) throw new TrackingError(E.BAD_BODY, '"sent_at" must be a non-negative integer (ms)', 400);

  const opts: ValidateOptions = { receivedAt, retentionMs: limits.retentionMs, maxFutureMs: limits.maxFutureMs };
  const ctx = device as DeviceContext | undefined;
  const ctxApp = ctx?.app_id;
  const rejected: RejectedEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const ev = events[i] as Record<string, unknown>;
    let why: Rejection | null = validateInBatch(ev, ctx, sentAt as number | undefined, opts);
    if (!why && appId !== undefined && (ev.app_id ?? ctxApp) !== appId) {
      why = { code: RejectCode.APP_MISMATCH, field: 'app_id', message: 'app_id does not belong to the app key of this upload' };
    }
    if (!why) {
      const deep = tooDeep(ev);
      if (deep) why = { code: RejectCode.TOO_DEEP, field: deep, message: `${deep} is nested more than ${MAX_UNKNOWN_DEPTH} levels deep` };
    }
    if (why) rejected.push({ index: i, code: why.code, field: why.field, reason: why.message });
  }
  const accepted = events.length - rejected.length;
  if (accepted === 0) throw new TrackingError(E.NO_VALID_EVENTS, 'no event in the batch is valid; nothing was stored', 400, { rejected });
  const meta: { rejected?: number[]; app_id?: string; skew_ms?: number } = {};
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
    const c = (ctx ?? {}) as unknown as Record<string, unknown>;
    latest.push({ app_id: str(ev.app_id ?? ctxApp), type: str(ev.type), name: str(ev.name), ts: Number(ev.ts), platform: str(ev.platform ?? c.platform), country: str(ev.country ?? c.country), app_version: str(ev.app_version ?? c.app_version) });
  }
  // Gzip bodies go to disk as they came: compressing them again would cost CPU for nothing.
  const stored = gz ? raw : await gzip(text, { level: 1 });
  return { frame: encodeFrame(FrameKind.Upload, Codec.Gzip, receivedAt, meta, stored), accepted, rejected, receivedAt, latest };
}
