import { gunzipSync } from 'node:zlib';
import { Codec, FrameKind, type Frame } from './segment-format.js';

/**
 * The accepted events of one frame, each with the upload's device context and `sent_at`
 * merged in (the event's own fields win), rejected indexes skipped, and `received_at` set.
 */
export function frameEvents(frame: Frame): Record<string, unknown>[] {
  const raw = frame.codec === Codec.Gzip ? gunzipSync(frame.body) : frame.body;
  const parsed = JSON.parse(raw.toString('utf8')) as unknown;
  if (frame.kind === FrameKind.Beacons) {
    return (parsed as Record<string, unknown>[]).map((e) => ({ ...e, received_at: frame.receivedAt }));
  }
  const body = parsed as { device?: Record<string, unknown>; sent_at?: number; events: Record<string, unknown>[] };
  const skip = new Set(frame.meta.rejected ?? []);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < body.events.length; i++) {
    if (skip.has(i)) continue;
    const e = { ...body.device, ...body.events[i] };
    if (e.sent_at === undefined && body.sent_at !== undefined) e.sent_at = body.sent_at;
    e.received_at = frame.receivedAt;
    out.push(e);
  }
  return out;
}
