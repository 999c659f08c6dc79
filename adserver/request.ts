import type { AdRequest } from './decide.js';
import type { TargetingContext } from '../common/targeting/request-context.js';
import { AdErrorCode, AdServerError } from './errors.js';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const EMPTY_KV: Record<string, string> = Object.freeze({}) as Record<string, string>;
const KNOWN = new Set(['app', 'slot', 'device', 'platform', 'os', 'app_version', 'model', 'w', 'h', 'country', 'region', 'n', 'days', 'tz']);

function decode(s: string): string {
  // Most values are plain ASCII: skip the decoder unless there is something to decode.
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new AdServerError(AdErrorCode.BAD_REQUEST, 'the query string has a bad percent-encoding');
  }
}

/** Parses a raw query string (without '?') into pairs: cheaper than URLSearchParams on the hot path. */
export function parseQuery(q: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < q.length) {
    let amp = q.indexOf('&', i);
    if (amp < 0) amp = q.length;
    const eq = q.indexOf('=', i);
    if (eq >= 0 && eq < amp) out[decode(q.slice(i, eq))] = decode(q.slice(eq + 1, amp));
    else if (amp > i) out[decode(q.slice(i, amp))] = '';
    i = amp + 1;
  }
  return out;
}

function num(q: Record<string, string>, k: string, lo: number, hi: number, def: number): number {
  const v = q[k];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new AdServerError(AdErrorCode.BAD_REQUEST, `${k} must be a whole number from ${lo} to ${hi}, got ${JSON.stringify(v.slice(0, 20))}`);
  return n;
}

function isCountry(c: string): boolean {
  return c.length === 2 && c.charCodeAt(0) >= 65 && c.charCodeAt(0) <= 90 && c.charCodeAt(1) >= 65 && c.charCodeAt(1) <= 90;
}

/**
 * An ad request from its query: app, slot and device are required; the rest describe the
 * device for targeting; any other parameter is a custom key-value (`kv.<name>` in targeting).
 * Day-parting uses the device's local time when `tz` (minutes east of UTC) is given, else UTC.
 * No closures, arrays or Date objects per request: this runs on every ad request.
 */
export function parseAdRequest(q: Record<string, string>, now: number, maxAds = 5): AdRequest {
  if (!q.app || !q.slot || !q.device) {
    const missing = ['app', 'slot', 'device'].filter((k) => !q[k]);
    throw new AdServerError(AdErrorCode.BAD_REQUEST, `missing query parameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }
  const platform = q.platform ?? '';
  if (platform !== '' && platform !== 'ios' && platform !== 'android') throw new AdServerError(AdErrorCode.BAD_REQUEST, `platform must be ios or android, got ${JSON.stringify(platform.slice(0, 20))}`);
  let country = q.country ?? '';
  if (country !== '' && !isCountry(country)) {
    country = country.toUpperCase();
    if (!isCountry(country)) throw new AdServerError(AdErrorCode.BAD_REQUEST, `country must be a 2-letter code, got ${JSON.stringify(country.slice(0, 20))}`);
  }
  const local = now + num(q, 'tz', -840, 840, 0) * 60_000;
  let kv: Record<string, string> | null = null;
  for (const k in q) if (!KNOWN.has(k)) (kv ??= {})[k] = q[k]!;
  const ctx: TargetingContext = {
    platform, os_version: q.os ?? '', app_version: q.app_version ?? '', device_model: q.model ?? '',
    screen_w: num(q, 'w', 0, 100_000, 0), screen_h: num(q, 'h', 0, 100_000, 0), country, region: q.region ?? '',
    kv: kv ?? EMPTY_KV,
    hour: Math.floor(local / 3_600_000) % 24,
    // 1970-01-01 was a Thursday.
    weekday: WEEKDAYS[(Math.floor(local / 86_400_000) + 4) % 7]!,
  };
  return { app: q.app, slot: q.slot, device: q.device, n: num(q, 'n', 1, maxAds, 1), ctx };
}
