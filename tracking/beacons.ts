import { LRUCache } from 'lru-cache';
import { verifyDecision, type Decision } from '../common/decision-token.js';
import { isSafeString } from '../common/event-validator.js';
import { Codec, FrameKind, encodeFrame } from '../common/segment-format.js';
import type { VideoEvent } from '../common/video-payload.js';

/** A video event (VAST tracking) lands as an ad_interaction named after it. */
export type BeaconKind = 'impression' | 'click' | VideoEvent;
type BeaconOutcome = { ok: true; frame: Buffer; decision: Decision } | { ok: false; reason: 'malformed' | 'forged' | 'expired' | 'replayed' };

/**
 * Checks impression and click beacons: the decision must be signed with our secret, unexpired,
 * and not seen before for the same kind (a replayed beacon is refused, not counted twice).
 * The replay memory is bounded; an entry lives until its decision expires.
 */
export class BeaconChecker {
  private readonly seen: LRUCache<string, true>;
  /** Video events in a memory of their own: five a played ad would otherwise push impressions out (and a replayed impression would count toward pacing again). */
  private readonly seenVideo: LRUCache<string, true>;

  constructor(private readonly secret: string, maxRemembered = 1_000_000) {
    this.seen = new LRUCache<string, true>({ max: maxRemembered, ttlAutopurge: false });
    this.seenVideo = new LRUCache<string, true>({ max: maxRemembered, ttlAutopurge: false });
  }

  private memory(kind: BeaconKind): LRUCache<string, true> {
    return kind === 'impression' || kind === 'click' ? this.seen : this.seenVideo;
  }

  /** Forgets a beacon whose write failed, so the client's retry is not taken for a replay. */
  forget(kind: BeaconKind, decisionId: string): void {
    this.memory(kind).delete(`${kind}:${decisionId}`);
  }

  /** Marked as seen at once, so two concurrent copies cannot both count; `forget` undoes it. */
  check(kind: BeaconKind, token: string, now: number): BeaconOutcome {
    const v = verifyDecision(token, this.secret, now);
    if (!v.ok) return v;
    // Signed is not safe: a NUL the ad server let into an id (%00) would break the tiers that read the event.
    const x = v.decision;
    if (!isSafeString(x.d) || !isSafeString(x.app) || !isSafeString(x.slot) || !isSafeString(x.campaign) || !isSafeString(x.creative) || !isSafeString(x.line_item ?? '') || !isSafeString(x.device ?? '')) return { ok: false, reason: 'malformed' };
    const key = `${kind}:${v.decision.d}`;
    const seen = this.memory(kind);
    if (seen.has(key)) return { ok: false, reason: 'replayed' };
    seen.set(key, true, { ttl: Math.max(1, v.decision.exp - now) });
    const d = v.decision;
    const event = {
      event_id: `beacon:${kind}:${d.d}`,
      type: kind === 'impression' ? 'ad_impression' : kind === 'click' ? 'ad_click' : 'ad_interaction',
      name: kind === 'impression' || kind === 'click' ? undefined : kind,
      ts: now,
      app_id: d.app,
      device_id: d.device,
      slot_id: d.slot,
      campaign_id: d.campaign,
      creative_id: d.creative,
      line_item_id: d.line_item,
      decision_id: d.d,
      source: 'beacon',
    };
    return { ok: true, decision: d, frame: encodeFrame(FrameKind.Beacons, Codec.Identity, now, { app_id: d.app }, Buffer.from(JSON.stringify([event]))) };
  }
}
