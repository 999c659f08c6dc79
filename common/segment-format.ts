import { crc32c } from '@node-rs/crc32';

/**
 * The segment log format (DESIGN.md, Segment log). A segment file is a file header followed
 * by frames, one per accepted batch:
 *
 *   file header: "SLSG" u8 version(1) u8[3] reserved
 *   frame:       u32le payload length | u32le CRC32C of payload | payload
 *   payload:     u8 kind | u8 body codec | u16le meta length | f64le received_at (ms)
 *                | meta (UTF-8 JSON) | body
 *
 * kind 1 is an upload (body = the request body), kind 2 beacon events (body = JSON array of
 * events). Codec 1 is gzip: uploads that came gzip-encoded are stored as received, without a
 * second compression. `meta.rejected` lists the indexes of events the server refused, which
 * readers skip; `meta.app_id` is the app the key belongs to, when keys are checked.
 */
export const SEGMENT_MAGIC = Buffer.from([0x53, 0x4c, 0x53, 0x47, 1, 0, 0, 0]);
export const FRAME_HEADER = 8;
const PAYLOAD_FIXED = 12;
/**
 * Longest payload a writer may make. encodeFrame refuses longer ones, and readers take a longer
 * length for a torn one unless the whole frame is there with a matching CRC: so recovery never
 * cuts a frame that was acknowledged.
 */
export const MAX_FRAME_BYTES = 64 << 20;
/** The meta length field is 16-bit. */
const MAX_META_BYTES = 0xffff;
/** Longest body a frame can carry next to the longest meta. */
export const MAX_FRAME_BODY_BYTES = MAX_FRAME_BYTES - PAYLOAD_FIXED - MAX_META_BYTES;
/** Bytes on disk of a frame with the longest meta and a body of `bodyBytes`. */
export function maxFrameLength(bodyBytes: number): number {
  return FRAME_HEADER + PAYLOAD_FIXED + MAX_META_BYTES + bodyBytes;
}
/** Room in the meta for everything but the refused indexes (app id, skew correction). */
const META_RESERVE = 1024;
/** Most events in a batch: the meta can list the refused ones of any such batch (see rejectedListBytes). */
export const MAX_EVENTS_PER_FRAME = 10_000;

/** Bytes of `{"rejected":[...]` in the worst case for a batch of n events: all but one refused, the highest indexes. */
function rejectedListBytes(n: number): number {
  let bytes = '{"rejected":[]'.length + Math.max(0, n - 2);
  for (let width = 1, from = 1; from <= n - 1; width++, from *= 10) bytes += width * (Math.min(n - 1, from * 10 - 1) - from + 1);
  return bytes;
}
if (rejectedListBytes(MAX_EVENTS_PER_FRAME) > MAX_META_BYTES - META_RESERVE) throw new Error('MAX_EVENTS_PER_FRAME does not fit the frame meta');

/** A frame that the format cannot hold (meta over 16 bits of length, payload over MAX_FRAME_BYTES). */
export class FrameLimitError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'FrameLimitError';
  }
}

export const FrameKind = { Upload: 1, Beacons: 2 } as const;
export const Codec = { Identity: 0, Gzip: 1 } as const;

interface FrameMeta {
  rejected?: number[];
  app_id?: string;
  /** 'segment' when tracking mapped the upload from Segment-spec messages (tracking/segment-map.ts). */
  source?: string;
  [k: string]: unknown;
}

export interface Frame {
  kind: number;
  codec: number;
  receivedAt: number;
  meta: FrameMeta;
  body: Buffer;
}

/** Encodes one frame, header and CRC included, ready to append. */
export function encodeFrame(kind: number, codec: number, receivedAt: number, meta: FrameMeta, body: Uint8Array): Buffer {
  const metaBuf = Buffer.from(JSON.stringify(meta));
  if (metaBuf.length > MAX_META_BYTES) throw new FrameLimitError(`its meta takes ${metaBuf.length} bytes, the format holds ${MAX_META_BYTES}`);
  const payloadLen = PAYLOAD_FIXED + metaBuf.length + body.length;
  if (payloadLen > MAX_FRAME_BYTES) throw new FrameLimitError(`it takes ${payloadLen} bytes, the format holds ${MAX_FRAME_BYTES}`);
  const buf = Buffer.allocUnsafe(FRAME_HEADER + payloadLen);
  buf.writeUInt32LE(payloadLen, 0);
  buf.writeUInt8(kind, 8);
  buf.writeUInt8(codec, 9);
  buf.writeUInt16LE(metaBuf.length, 10);
  buf.writeDoubleLE(receivedAt, 12);
  metaBuf.copy(buf, 20);
  buf.set(body, 20 + metaBuf.length);
  buf.writeUInt32LE(crc32c(buf.subarray(FRAME_HEADER)), 4);
  return buf;
}

export function decodePayload(payload: Buffer): Frame {
  const metaLen = payload.readUInt16LE(2);
  return {
    kind: payload.readUInt8(0),
    codec: payload.readUInt8(1),
    receivedAt: payload.readDoubleLE(4),
    meta: JSON.parse(payload.subarray(PAYLOAD_FIXED, PAYLOAD_FIXED + metaLen).toString('utf8')) as FrameMeta,
    body: payload.subarray(PAYLOAD_FIXED + metaLen),
  };
}

type ScanItem =
  | { ok: true; offset: number; frame: Frame }
  | { ok: false; offset: number; reason: string; /** where scanning can go on, or -1 when the rest is unreadable */ resumeAt: number };

/**
 * Walks the frames of a segment held in memory. A frame whose CRC does not match is
 * reported and skipped when its length is plausible (so the rest of the segment is still
 * read); a torn or impossible length ends the walk. A length over MAX_FRAME_BYTES is taken
 * for a frame only when the whole frame is there and its CRC matches (older writers made such frames).
 */
export function* scanSegment(buf: Buffer): Generator<ScanItem> {
  if (buf.length < SEGMENT_MAGIC.length || !buf.subarray(0, 4).equals(SEGMENT_MAGIC.subarray(0, 4))) {
    yield { ok: false, offset: 0, reason: 'not a segment (bad magic)', resumeAt: -1 };
    return;
  }
  let off = SEGMENT_MAGIC.length;
  while (off < buf.length) {
    if (buf.length - off < FRAME_HEADER) {
      yield { ok: false, offset: off, reason: 'torn frame header', resumeAt: -1 };
      return;
    }
    const len = buf.readUInt32LE(off);
    const end = off + FRAME_HEADER + len;
    const oversized = len > MAX_FRAME_BYTES;
    if (len < PAYLOAD_FIXED || (oversized && end > buf.length)) {
      yield { ok: false, offset: off, reason: `impossible frame length ${len}`, resumeAt: -1 };
      return;
    }
    if (end > buf.length) {
      yield { ok: false, offset: off, reason: 'torn frame (file ends inside it)', resumeAt: -1 };
      return;
    }
    const payload = buf.subarray(off + FRAME_HEADER, end);
    if (crc32c(payload) !== buf.readUInt32LE(off + 4)) {
      // A bad CRC on an oversized length says the length itself is torn: nothing after it can be trusted.
      yield oversized ? { ok: false, offset: off, reason: `impossible frame length ${len}`, resumeAt: -1 } : { ok: false, offset: off, reason: 'CRC32C mismatch', resumeAt: end };
      if (oversized) return;
    } else {
      let frame: Frame;
      try {
        frame = decodePayload(payload);
      } catch {
        yield { ok: false, offset: off, reason: 'unreadable frame metadata', resumeAt: end };
        off = end;
        continue;
      }
      yield { ok: true, offset: off, frame };
    }
    off = end;
  }
}

/**
 * Where a torn tail is cut: the end of the last whole frame before the walk became
 * impossible (a torn header, an impossible length, a file ending inside a frame). A frame with
 * a bad CRC but a plausible length is kept, with the frames after it: the pipeline quarantines
 * it, and cutting there would drop acknowledged frames that follow.
 */
export function validPrefix(buf: Buffer): number {
  let good = SEGMENT_MAGIC.length;
  for (const item of scanSegment(buf)) {
    if (!item.ok && item.resumeAt < 0) return item.offset === 0 ? 0 : good;
    good = item.ok ? item.offset + FRAME_HEADER + buf.readUInt32LE(item.offset) : item.resumeAt;
  }
  return buf.length >= SEGMENT_MAGIC.length ? good : 0;
}
