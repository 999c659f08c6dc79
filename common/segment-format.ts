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
/** A length field above this is corruption, not a frame: keeps a torn length from allocating gigabytes. */
export const MAX_FRAME_BYTES = 64 << 20;

export const FrameKind = { Upload: 1, Beacons: 2 } as const;
export const Codec = { Identity: 0, Gzip: 1 } as const;

export interface FrameMeta {
  rejected?: number[];
  app_id?: string;
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
  const payloadLen = PAYLOAD_FIXED + metaBuf.length + body.length;
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

export type ScanItem =
  | { ok: true; offset: number; frame: Frame }
  | { ok: false; offset: number; reason: string; /** where scanning can go on, or -1 when the rest is unreadable */ resumeAt: number };

/**
 * Walks the frames of a segment held in memory. A frame whose CRC does not match is
 * reported and skipped when its length is plausible (so the rest of the segment is still
 * read); a torn or impossible length ends the walk.
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
    if (len < PAYLOAD_FIXED || len > MAX_FRAME_BYTES) {
      yield { ok: false, offset: off, reason: `impossible frame length ${len}`, resumeAt: -1 };
      return;
    }
    const end = off + FRAME_HEADER + len;
    if (end > buf.length) {
      yield { ok: false, offset: off, reason: 'torn frame (file ends inside it)', resumeAt: -1 };
      return;
    }
    const payload = buf.subarray(off + FRAME_HEADER, end);
    if (crc32c(payload) !== buf.readUInt32LE(off + 4)) {
      yield { ok: false, offset: off, reason: 'CRC32C mismatch', resumeAt: end };
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
