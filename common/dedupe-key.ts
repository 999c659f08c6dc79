import { createHash } from 'node:crypto';

/** The fields of an event that identify it; anything a replay changes (sent_at) is left out. */
export interface KeyedEvent {
  event_id?: string;
  app_id: string;
  device_id: string;
  seq: number;
  type: string;
  ts: number;
  campaign_id?: string;
  creative_id?: string;
  slot_id?: string;
  name?: string;
  props?: Record<string, string | number>;
}

/**
 * Content fingerprint for events without event_id (legacy SDKs): a hash of everything a
 * device fixes when it creates the event, in a canonical order. A replay has the same
 * fingerprint; two different events differ at least in seq.
 */
export function fingerprint(e: KeyedEvent): string {
  let s = `${e.app_id}\u0000${e.device_id}\u0000${e.seq}\u0000${e.type}\u0000${e.ts}\u0000${e.campaign_id ?? ''}\u0000${e.creative_id ?? ''}\u0000${e.slot_id ?? ''}\u0000${e.name ?? ''}`;
  if (e.props) {
    for (const k of Object.keys(e.props).sort()) s += `\u0000${k}=${typeof e.props[k]}:${e.props[k]}`;
  }
  return 'fp:' + createHash('sha1').update(s).digest('base64url');
}

/** The identity dedupe works on: (app_id, device_id, event_id), or the fingerprint. */
export function dedupeKey(e: KeyedEvent): string {
  const id = e.event_id !== undefined ? `id:${e.event_id}` : fingerprint(e);
  return `${e.app_id}\u0000${e.device_id}\u0000${id}`;
}
