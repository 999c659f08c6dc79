import { EVENT_TYPES } from '../common/event-schema.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, floorDay } from '../common/time.js';
import {
  ANDROID_MODELS, ANDROID_VERSIONS, ANDROID_VERSION_WEIGHTS, COUNTRIES, CUSTOM_EVENTS, HOUR_WEIGHTS,
  IOS_MODELS, IOS_VERSIONS, IOS_VERSION_WEIGHTS,
} from './catalog.js';
import { Rng, cumulative, mixSeed } from './rng.js';
import type { World } from './world.js';

/** Fleet knobs that shape one device's life. */
export interface DeviceKnobs {
  start: number;
  days: number;
  dupRate: number;
  offlineRate: number;
  maxOfflineDays: number;
  skewRate: number;
  legacyRate: number;
  lossRate: number;
}

export const enum T { Open, Close, Background, Foreground, AdRequest, AdImpression, AdClick, AdInteraction, Custom }
export const TYPE_NAMES = EVENT_TYPES;

/** One event as the device made it; every event of every device has this one shape. */
interface SimEvent {
  seq: number;
  type: T;
  /** True time (server clock), ms. */
  t: number;
  campaign: number;
  custom: number;
  /** Prop values in the order of the custom event's props, or null. */
  props: (string | number)[] | null;
  lost: boolean;
  /** The event's JSON as the SDK sends it (device clock, so skew included). */
  json: string;
}

export interface Upload {
  /** When the server receives it (true time), ms. */
  at: number;
  /** JSON of the events in the body, in body order (duplicates included). */
  events: SimEvent[];
}

export interface SimDevice {
  index: number;
  app: number;
  platform: 'ios' | 'android';
  /** The `device` object of every upload body, serialised once. */
  ctxJson: string;
  deviceId: string;
  skewMs: number;
  legacy: boolean;
  longOffline: boolean;
  events: SimEvent[];
  uploads: Upload[];
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HEX = '0123456789abcdef';
const IOS_W = cumulative(IOS_VERSION_WEIGHTS);
const AND_W = cumulative(ANDROID_VERSION_WEIGHTS);
const IOS_M = cumulative(IOS_MODELS.map((m) => m.weight));
const AND_M = cumulative(ANDROID_MODELS.map((m) => m.weight));
const COUNTRY_W = cumulative(COUNTRIES.map((c) => c.weight));
const HOUR_W = cumulative(HOUR_WEIGHTS);
const CUSTOM_W = cumulative(CUSTOM_EVENTS.map((c) => c.weight));
// Prop fragments serialised once: `"level":` etc.
const PROP_KEYS = CUSTOM_EVENTS.map((c) => Object.keys(c.props));
const PROP_VALUES = CUSTOM_EVENTS.map((c) => Object.values(c.props));
/** Mean share of a replayed batch that is sent again (0.7 whole + 0.3 x 0.6 part); calibrates dupRate. */
const REPLAY_SHARE = 0.88;

function ulid(ts: number, rng: Rng): string {
  let s = '';
  let t = ts;
  for (let i = 0; i < 10; i++) {
    s = CROCKFORD[t % 32] + s;
    t = Math.floor(t / 32);
  }
  for (let i = 0; i < 16; i += 4) {
    const r = rng.u32();
    s += CROCKFORD[r & 31]! + CROCKFORD[(r >>> 5) & 31]! + CROCKFORD[(r >>> 10) & 31]! + CROCKFORD[(r >>> 15) & 31]!;
  }
  return s;
}

function uuid(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const r = rng.u32();
    for (let k = 0; k < 8; k++) s += HEX[(r >>> (k * 4)) & 15];
  }
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-a${s.slice(17, 20)}-${s.slice(20, 32)}`;
}

/** Who the device is and when it lives: the first draws of its stream, in this order. */
interface Profile {
  rng: Rng;
  appIdx: number;
  ios: boolean;
  /** The `device` object of every upload body, serialised once. */
  ctxJson: string;
  deviceId: string;
  utcOffset: number;
  skewMs: number;
  legacy: boolean;
  lossy: boolean;
  longOffline: boolean;
  lifeStart: number;
  lifeEnd: number;
}

/** The events a device makes, and what each one needs to be written. */
interface EventLog {
  rng: Rng;
  skewMs: number;
  legacy: boolean;
  slots: World['apps'][number]['slots'];
  campaigns: World['campaigns'];
  campCum: number[];
  seq: number;
  events: SimEvent[];
  /** Upload opportunities: index after the last event of a session, time, and whether the app crashed. */
  points: UploadPoint[];
}

interface UploadPoint {
  upto: number;
  at: number;
  crashed: boolean;
}

/** The SDK's send buffer and the uploads made from it. */
interface UploadQueue {
  rng: Rng;
  maxBatch: number;
  replayP: number;
  buffer: SimEvent[];
  uploads: Upload[];
}

function drawProfile(world: World, appCum: readonly number[], k: DeviceKnobs, index: number): Profile {
  const rng = new Rng(mixSeed(world.seed, index), index);
  const appIdx = rng.weighted(appCum);
  const app = world.apps[appIdx]!;
  const ios = rng.chance(app.ios_share);
  const model = ios ? IOS_MODELS[rng.weighted(IOS_M)]! : ANDROID_MODELS[rng.weighted(AND_M)]!;
  const country = COUNTRIES[rng.weighted(COUNTRY_W)]!;
  const deviceId = uuid(rng);
  const ctx = {
    device_id: deviceId,
    app_id: app.app_id,
    platform: ios ? 'ios' : 'android',
    os_version: ios ? IOS_VERSIONS[rng.weighted(IOS_W)] : ANDROID_VERSIONS[rng.weighted(AND_W)],
    // Newer app versions are more common: the last listed wins most often.
    app_version: app.app_versions[Math.min(app.app_versions.length - 1, Math.floor(Math.sqrt(rng.next()) * app.app_versions.length))],
    device_model: model.name,
    screen: model.screen,
    country: country.code,
    region: rng.pick(country.regions),
    locale: country.locale,
  };
  const skewMs = rng.chance(k.skewRate) ? (rng.chance(0.5) ? 1 : -1) * rng.range(5, 720) * MINUTE_MS : 0;
  const legacy = rng.chance(k.legacyRate);
  const lossy = rng.chance(k.lossRate);
  const longOffline = k.maxOfflineDays >= 1 && rng.chance(k.offlineRate);

  const windowEnd = k.start + k.days * DAY_MS;
  const lifeStart = k.start + Math.floor(rng.next() * k.days * DAY_MS);
  const lifeEnd = Math.min(windowEnd, lifeStart + Math.floor((1 + Math.min(27, rng.exp(7))) * DAY_MS));
  return { rng, appIdx, ios, ctxJson: JSON.stringify(ctx), deviceId, utcOffset: country.utcOffset, skewMs, legacy, lossy, longOffline, lifeStart, lifeEnd };
}

function emit(log: EventLog, type: T, t: number, campaign = -1, slot = -1, creative = -1, custom = -1, props: (string | number)[] | null = null): void {
  const { seq } = log;
  const ts = t + log.skewMs;
  let json = log.legacy ? `{"seq":${seq},"type":"${TYPE_NAMES[type]}","ts":${ts}` : `{"event_id":"${ulid(ts, log.rng)}","seq":${seq},"type":"${TYPE_NAMES[type]}","ts":${ts}`;
  if (slot >= 0) json += `,"slot_id":"${log.slots[slot]!.slot_id}"`;
  if (campaign >= 0) json += `,"campaign_id":"${log.campaigns[campaign]!.campaign_id}","creative_id":"${log.campaigns[campaign]!.creatives[creative]}"`;
  if (custom >= 0) {
    json += `,"name":"${CUSTOM_EVENTS[custom]!.name}","props":{`;
    const keys = PROP_KEYS[custom]!;
    for (let i = 0; i < keys.length; i++) {
      const v = props![i]!;
      json += `${i ? ',' : ''}"${keys[i]}":${typeof v === 'number' ? v : `"${v}"`}`;
    }
    json += '}';
  }
  log.events.push({ seq, type, t, campaign, custom, props, lost: false, json: json + '}' });
  log.seq = seq + 1;
}

/** Every session of the device's life, each ending in an upload opportunity. */
function simulateSessions(world: World, p: Profile): EventLog {
  const { rng, lifeStart, lifeEnd } = p;
  const campaigns = world.campaigns;
  const log: EventLog = {
    rng, skewMs: p.skewMs, legacy: p.legacy, slots: world.apps[p.appIdx]!.slots, campaigns,
    campCum: cumulative(campaigns.map((c) => c.weight)), seq: 0, events: [], points: [],
  };
  let cursor = lifeStart;
  for (let day = floorDay(lifeStart); day < lifeEnd; day += DAY_MS) {
    if (day > floorDay(lifeStart) && !rng.chance(0.7)) continue;
    const n = 1 + rng.int(4);
    for (let s = 0; s < n; s++) {
      let t = day + ((rng.weighted(HOUR_W) - p.utcOffset + 24) % 24) * HOUR_MS + rng.int(HOUR_MS);
      if (log.events.length === 0) t = lifeStart; // an install opens the app once: no device is without events
      else if (t < cursor) t = cursor + Math.floor(rng.exp(30 * MINUTE_MS)) + MINUTE_MS;
      if (t >= lifeEnd) break;
      emit(log, T.Open, t);
      t = endSession(log, sessionSteps(log, t));
      cursor = t + MINUTE_MS;
    }
  }
  return log;
}

/** The steps of one session after its Open; returns the time of the last. */
function sessionSteps(log: EventLog, t: number): number {
  const { rng } = log;
  const steps = 2 + rng.int(24);
  for (let i = 0; i < steps; i++) {
    t += 1000 + Math.floor(rng.exp(15_000));
    const r = rng.next();
    if (r < 0.5) {
      const c = rng.weighted(CUSTOM_W);
      emit(log, T.Custom, t, -1, -1, -1, c, PROP_VALUES[c]!.map((vals) => rng.pick(vals)));
    } else if (r < 0.72) {
      t = adRequest(log, t);
    } else if (r < 0.8) {
      emit(log, T.Background, t);
      // Most backgrounds are short (the session goes on); some are long (a new one starts).
      t += rng.chance(0.6) ? 2000 + rng.int(28_000) : 31_000 + Math.floor(rng.exp(10 * MINUTE_MS));
      emit(log, T.Foreground, t);
    }
  }
  return t;
}

/** An ad request and, mostly, its impression (sometimes an interaction or a click); returns the time of the last. */
function adRequest(log: EventLog, t: number): number {
  const { rng } = log;
  const slot = rng.int(log.slots.length);
  emit(log, T.AdRequest, t, -1, slot);
  if (rng.chance(0.8)) {
    const cmp = rng.weighted(log.campCum);
    const cr = rng.int(log.campaigns[cmp]!.creatives.length);
    t += 150 + rng.int(400);
    emit(log, T.AdImpression, t, cmp, slot, cr);
    if (rng.chance(0.08)) emit(log, T.AdInteraction, (t += 1000 + rng.int(5000)), cmp, slot, cr);
    if (rng.chance(0.04)) emit(log, T.AdClick, (t += 1000 + rng.int(8000)), cmp, slot, cr);
  }
  return t;
}

/** Closes the session (or it crashes) and records its upload opportunity; returns the time of the end. */
function endSession(log: EventLog, t: number): number {
  const { rng } = log;
  const end = rng.next();
  t += 500 + rng.int(5000);
  let crashed = false;
  if (end < 0.85) emit(log, T.Close, t);
  else if (end < 0.92) emit(log, T.Background, t);
  else crashed = true;
  log.points.push({ upto: log.events.length, at: t + 1000 + rng.int(20_000), crashed });
  return t;
}

function flush(q: UploadQueue, at: number): void {
  const { rng, maxBatch } = q;
  const pending = q.buffer;
  const buffer: SimEvent[] = (q.buffer = []);
  for (let i = 0; i < pending.length; i += maxBatch) {
    const chunk = pending.slice(i, i + maxBatch);
    const up: Upload = { at: at + i, events: chunk };
    q.uploads.push(up);
    if (rng.chance(q.replayP)) {
      const kind = rng.next();
      if (kind < 0.03) {
        // An SDK bug queues some events twice in one body.
        const from = rng.int(chunk.length);
        up.events = chunk.concat(chunk.slice(from, from + 1 + rng.int(3)));
      } else if (kind < 0.7) {
        // The ack was lost: the whole batch stays buffered and goes again next time.
        buffer.push(...chunk);
      } else {
        // Killed in the ~15 ms OnClose window: the tail of the batch was not marked sent.
        buffer.push(...chunk.slice(Math.floor(chunk.length * (1 - (0.2 + rng.next() * 0.8)))));
      }
    }
  }
}

/** The uploads the SDK makes of the events: offline spells, crashes, batching and replays. */
function planUploads(p: Profile, k: DeviceKnobs, log: EventLog): Upload[] {
  const { rng } = p;
  const { events, points } = log;
  const offlineFrom = p.longOffline && points.length > 0 ? points[rng.int(points.length)]!.at - 1 : Infinity;
  const offlineUntil = offlineFrom + Math.floor((1 + rng.next() * (k.maxOfflineDays - 1)) * DAY_MS);
  const q: UploadQueue = { rng, maxBatch: 20 + rng.int(81), replayP: Math.min(1, k.dupRate / REPLAY_SHARE), buffer: [], uploads: [] };
  let next = 0;
  for (let i = 0; i < points.length; i++) {
    const pt = points[i]!;
    for (; next < pt.upto; next++) if (!events[next]!.lost) q.buffer.push(events[next]!);
    const online = pt.at < offlineFrom || pt.at >= offlineUntil;
    if (!online) {
      if (i + 1 === points.length || points[i + 1]!.at >= offlineUntil) flush(q, offlineUntil);
      continue;
    }
    if (pt.crashed && i + 1 < points.length) continue; // uploads on the next launch
    flush(q, pt.at);
  }
  const { uploads } = q;
  // Replays still buffered after the last session: the SDK retries on the next background fetch.
  let guard = 0;
  while (q.buffer.length > 0 && guard++ < 10) {
    const last = uploads.length ? uploads[uploads.length - 1]!.at : p.lifeEnd;
    flush(q, last + 5 * MINUTE_MS + rng.int(6 * HOUR_MS));
  }
  if (q.buffer.length > 0) uploads.push({ at: uploads[uploads.length - 1]!.at + HOUR_MS, events: q.buffer });
  return uploads;
}

/** Simulates one device's whole life. Pure: same world, knobs and index give the same device. */
export function simulateDevice(world: World, appCum: readonly number[], k: DeviceKnobs, index: number): SimDevice {
  const p = drawProfile(world, appCum, k, index);
  const log = simulateSessions(world, p);
  const { rng, events } = log;
  // Events lost on the device (sequence gaps); never the first or last, so every gap is observable.
  if (p.lossy) for (let i = 1; i < events.length - 1; i++) if (rng.chance(0.05)) events[i]!.lost = true;
  const uploads = planUploads(p, k, log);
  return {
    index,
    app: p.appIdx,
    platform: p.ios ? 'ios' : 'android',
    ctxJson: p.ctxJson,
    deviceId: p.deviceId,
    skewMs: p.skewMs,
    legacy: p.legacy,
    longOffline: p.longOffline,
    events,
    uploads,
  };
}


/** The body of one upload as the SDK sends it: `sent_at` on the device clock. */
export function uploadBody(d: SimDevice, up: Upload, sentAt: number): string {
  let s = `{"device":${d.ctxJson},"sent_at":${sentAt},"events":[`;
  for (let i = 0; i < up.events.length; i++) s += (i ? ',' : '') + up.events[i]!.json;
  return s + ']}';
}
