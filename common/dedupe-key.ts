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

/*
 * Keys must be injective over every string ingest accepts, and they end up as UTF-8 (in
 * Parquet, and hashed as bytes by the jobs). UTF-8 turns every lone surrogate into U+FFFD, and
 * a NUL inside an id could move the boundary between the NUL-separated parts. So each part is
 * escaped: '\' -> '\\', NUL -> '\0', a lone surrogate -> '\uXXXX' (and in prop names '=' ->
 * '\e'). The escaped text is well-formed, holds no NUL, and decodes back to the one string it
 * came from. Strings without those characters are left as they are, so the keys and
 * fingerprints of ordinary ids are the ones an existing dedupe state holds.
 */
const SPECIAL = /[\\\u0000\uD800-\uDFFF]/;
const SPECIAL_NAME = /[\\\u0000=\uD800-\uDFFF]/;

function escapeFrom(s: string, name: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0) out += '\\0';
    else if (name && c === 0x3d) out += '\\e';
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s.slice(i, i + 2); // a proper pair: one code point, kept
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `\\u${c.toString(16)}`;
    else out += s[i];
  }
  return out;
}

/** One string part of a key, escaped (see above); ids are nearly always plain, so one regex test is all they cost. */
function keyPart(s: string): string {
  return SPECIAL.test(s) ? escapeFrom(s, false) : s;
}

/** A prop name in the fingerprint: like keyPart, and '=' escaped too, since '=' ends the name there. */
function propName(s: string): string {
  return SPECIAL_NAME.test(s) ? escapeFrom(s, true) : s;
}

/**
 * Content fingerprint for events without event_id (legacy SDKs): a hash of everything a
 * device fixes when it creates the event, in a canonical order. A replay has the same
 * fingerprint; two different events differ at least in seq. An empty props map counts as no
 * props (they report the same).
 */
export function fingerprint(e: KeyedEvent): string {
  let s = `${keyPart(e.app_id)}\u0000${keyPart(e.device_id)}\u0000${e.seq}\u0000${keyPart(e.type)}\u0000${e.ts}\u0000${keyPart(e.campaign_id ?? '')}\u0000${keyPart(e.creative_id ?? '')}\u0000${keyPart(e.slot_id ?? '')}\u0000${keyPart(e.name ?? '')}`;
  if (e.props) {
    for (const k of Object.keys(e.props).sort()) {
      const v = e.props[k];
      s += `\u0000${propName(k)}=${typeof v}:${typeof v === 'string' ? keyPart(v) : v}`;
    }
  }
  return 'fp:' + createHash('sha1').update(s).digest('base64url');
}

/** The dedupe identity of an event with an id: app, device and event id, each escaped. */
export function idKey(appId: string, deviceId: string, eventId: string): string {
  return `${keyPart(appId)}\u0000${keyPart(deviceId)}\u0000id:${keyPart(eventId)}`;
}

/** The identity dedupe works on: (app_id, device_id, event_id), or the fingerprint. */
export function dedupeKey(e: KeyedEvent): string {
  if (e.event_id !== undefined) return idKey(e.app_id, e.device_id, e.event_id);
  return `${keyPart(e.app_id)}\u0000${keyPart(e.device_id)}\u0000${fingerprint(e)}`;
}
