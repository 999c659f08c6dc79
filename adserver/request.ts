import type { AdRequest } from './decide.js';
import type { TargetingContext } from './targeting/request-context.js';
import { AdErrorCode, AdServerError } from './errors.js';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
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

/**
 * An ad request from its query: app, slot and device are required; the rest describe the
 * device for targeting; any other parameter is a custom key-value (`kv.<name>` in targeting).
 * Day-parting uses the device's local time when `tz` (minutes east of UTC) is given, else UTC.
 */
export function parseAdRequest(q: Record<string, string>, now: number, maxAds = 5): AdRequest {
  const missing = ['app', 'slot', 'device'].filter((k) => !q[k]);
  if (missing.length) throw new AdServerError(AdErrorCode.BAD_REQUEST, `missing query parameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  const num = (k: string, lo: number, hi: number, def: number): number => {
    const v = q[k];
    if (v === undefined || v === '') return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new AdServerError(AdErrorCode.BAD_REQUEST, `${k} must be a whole number from ${lo} to ${hi}, got ${JSON.stringify(v.slice(0, 20))}`);
    return n;
  };
  const platform = q.platform ?? '';
  if (platform !== '' && platform !== 'ios' && platform !== 'android') throw new AdServerError(AdErrorCode.BAD_REQUEST, `platform must be ios or android, got ${JSON.stringify(platform.slice(0, 20))}`);
  const country = (q.country ?? '').toUpperCase();
  if (country !== '' && !/^[A-Z]{2}$/.test(country)) throw new AdServerError(AdErrorCode.BAD_REQUEST, `country must be a 2-letter code, got ${JSON.stringify(country.slice(0, 20))}`);
  const tz = num('tz', -840, 840, 0);
  const local = new Date(now + tz * 60_000);
  let kv: Record<string, string> | null = null;
  for (const k in q) if (!KNOWN.has(k)) (kv ??= {})[k] = q[k]!;
  const ctx: TargetingContext = {
    platform, os_version: q.os ?? '', app_version: q.app_version ?? '', device_model: q.model ?? '',
    screen_w: num('w', 0, 100_000, 0), screen_h: num('h', 0, 100_000, 0), country, region: q.region ?? '',
    kv: kv ?? {}, hour: local.getUTCHours(), weekday: WEEKDAYS[local.getUTCDay()]!,
  };
  return { app: q.app!, slot: q.slot!, device: q.device!, n: num('n', 1, maxAds, 1), ctx };
}
