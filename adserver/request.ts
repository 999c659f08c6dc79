import type { AdRequest } from './decide.js';
import type { TargetingContext } from '../common/targeting/request-context.js';
import { AdErrorCode, AdServerError } from './errors.js';
import { DEVICE_ID_MAX_CHARS, ID_MAX_CHARS } from '../common/decision-token.js';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const EMPTY_KV: Record<string, string> = Object.freeze({}) as Record<string, string>;
const KNOWN = new Set(['app', 'slot', 'device', 'platform', 'os', 'app_version', 'model', 'w', 'h', 'country', 'region', 'n', 'days', 'tz']);

/**
 * Limits, in UTF-16 units (String.length, as tracking's event schema counts): the same as the
 * event schema's device context (device_id 128, app_id and slot_id 64, os_version and
 * app_version 32, device_model and region 64) and custom props (64 keys of 64, values of 256).
 */
/** uWebSockets.js itself drops a request whose head passes 4 KiB when it comes in more than one read. */
const QUERY_MAX_CHARS = 4096;
const FIELD_MAX = { device: DEVICE_ID_MAX_CHARS, app: ID_MAX_CHARS, slot: ID_MAX_CHARS, os: 32, app_version: 32, model: 64, region: 64 } as const;
const KV_MAX = { count: 64, key: 64, value: 256 } as const;

function tooLong(field: string, max: number, got: number): AdServerError {
  // The length only: the value may be personal (a device id) and is not echoed.
  return new AdServerError(AdErrorCode.FIELD_TOO_LONG, `${field} must be at most ${max} characters, got ${got}`);
}

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
  if (q.length > QUERY_MAX_CHARS) throw new AdServerError(AdErrorCode.QUERY_TOO_LONG, `the query string must be at most ${QUERY_MAX_CHARS} characters, got ${q.length}`);
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
  // Length checks compare .length only: a handful of integer compares per request.
  if (q.device.length > FIELD_MAX.device) throw tooLong('device', FIELD_MAX.device, q.device.length);
  if (q.app.length > FIELD_MAX.app) throw tooLong('app', FIELD_MAX.app, q.app.length);
  if (q.slot.length > FIELD_MAX.slot) throw tooLong('slot', FIELD_MAX.slot, q.slot.length);
  const os = q.os ?? '';
  const appVersion = q.app_version ?? '';
  const model = q.model ?? '';
  const region = q.region ?? '';
  if (os.length > FIELD_MAX.os) throw tooLong('os', FIELD_MAX.os, os.length);
  if (appVersion.length > FIELD_MAX.app_version) throw tooLong('app_version', FIELD_MAX.app_version, appVersion.length);
  if (model.length > FIELD_MAX.model) throw tooLong('model', FIELD_MAX.model, model.length);
  if (region.length > FIELD_MAX.region) throw tooLong('region', FIELD_MAX.region, region.length);
  const platform = q.platform ?? '';
  if (platform !== '' && platform !== 'ios' && platform !== 'android') throw new AdServerError(AdErrorCode.BAD_REQUEST, `platform must be ios or android, got ${JSON.stringify(platform.slice(0, 20))}`);
  let country = q.country ?? '';
  if (country !== '' && !isCountry(country)) {
    country = country.toUpperCase();
    if (!isCountry(country)) throw new AdServerError(AdErrorCode.BAD_REQUEST, `country must be a 2-letter code, got ${JSON.stringify(country.slice(0, 20))}`);
  }
  const local = now + num(q, 'tz', -840, 840, 0) * 60_000;
  let kv: Record<string, string> | null = null;
  let kvCount = 0;
  for (const k in q) {
    if (KNOWN.has(k)) continue;
    const v = q[k]!;
    if (k.length > KV_MAX.key) throw tooLong('a custom key', KV_MAX.key, k.length);
    if (v.length > KV_MAX.value) throw tooLong(`custom value ${k}`, KV_MAX.value, v.length);
    if (++kvCount > KV_MAX.count) throw new AdServerError(AdErrorCode.BAD_REQUEST, `at most ${KV_MAX.count} custom key-values`);
    (kv ??= {})[k] = v;
  }
  const ctx: TargetingContext = {
    platform, os_version: os, app_version: appVersion, device_model: model,
    screen_w: num(q, 'w', 0, 100_000, 0), screen_h: num(q, 'h', 0, 100_000, 0), country, region,
    kv: kv ?? EMPTY_KV,
    hour: Math.floor(local / 3_600_000) % 24,
    // 1970-01-01 was a Thursday.
    weekday: WEEKDAYS[(Math.floor(local / 86_400_000) + 4) % 7]!,
  };
  return { app: q.app, slot: q.slot, device: q.device, n: num(q, 'n', 1, maxAds, 1), ctx };
}
