import { dedupeKey, idKey, type KeyedEvent } from '../common/dedupe-key.js';
import { correctedTs } from '../common/skew.js';
import { FrameKind, type Frame } from '../common/segment-format.js';
import { Codec } from '../common/segment-format.js';
import { gunzipSync } from 'node:zlib';
import { DAY_MS, utcDay } from '../common/time.js';

/** One enriched event as it goes to Parquet: every row has every column (null when absent). */
export interface EventRow {
  /**
   * The dedupe identity, stored only where it cannot be told from the row: an event without an
   * event_id (its fingerprint key), or ids that needed escaping. Elsewhere null, and the identity
   * is app_id NUL device_id NUL 'id:' event_id (eventKey): the key repeated the event id, and was
   * a third of the Parquet bytes.
   */
  dedupe_key: string | null;
  event_id: string | null;
  app_id: string;
  device_id: string;
  seq: number | null;
  type: string;
  ts: number;
  sent_at: number | null;
  received_at: number;
  event_time: number;
  dt: string;
  platform: string | null;
  os_version: string | null;
  app_version: string | null;
  device_model: string | null;
  device_class: string | null;
  screen: string | null;
  country: string | null;
  country_name: string | null;
  region: string | null;
  region_name: string | null;
  locale: string | null;
  slot_id: string | null;
  campaign_id: string | null;
  creative_id: string | null;
  line_item_id: string | null;
  advertiser_id: string | null;
  campaign_name: string | null;
  publisher_id: string | null;
  app_name: string | null;
  name: string | null;
  props: string | null;
  extra: string | null;
  source: string;
  segment: string;
  frame_offset: number;
  /** Comma-separated flags such as unknown_app, unknown_campaign, unknown_creative. */
  flags: string | null;
}

const KNOWN = new Set(['event_id', 'app_id', 'device_id', 'seq', 'type', 'ts', 'sent_at', 'received_at', 'platform', 'os_version', 'app_version', 'device_model', 'screen', 'country', 'region', 'locale', 'slot_id', 'campaign_id', 'creative_id', 'line_item_id', 'name', 'props', 'source', 'decision_id']);

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const days = new Map<number, string>();
/** UTC day of a timestamp, memoised per day: a Date per row cost more than the rest of the row. */
function day(ms: number): string {
  const n = Math.floor(ms / DAY_MS);
  let d = days.get(n);
  if (d === undefined) days.set(n, (d = utcDay(ms)));
  return d;
}

type Obj = Record<string, unknown>;

/** The id key where escaping changed it (a backslash, NUL or lone surrogate in an id), else null: eventKey rebuilds the rest. */
function storedIdKey(app: string, device: string, eventId: string): string | null {
  const k = idKey(app, device, eventId);
  return k.length === app.length + device.length + eventId.length + 5 ? null : k;
}

/** A row's dedupe identity: its stored key, else app NUL device NUL 'id:' event id. */
export function eventKey(r: Pick<EventRow, 'dedupe_key' | 'app_id' | 'device_id' | 'event_id'>): string {
  return r.dedupe_key ?? `${r.app_id}\u0000${r.device_id}\u0000id:${r.event_id}`;
}

/** Why a row cannot be written: a lone surrogate (Parquet's UTF-8 would turn it into U+FFFD), an app id no lake partition can name, a missing or mistyped required field. */
type QuarantineReason = 'lone_surrogate' | 'bad_app_id' | 'bad_field';

/** An event the pipeline sets aside instead of writing, with where it came from and why. */
export interface QuarantinedRow {
  /** The frame's offset in its segment, and the event's index in the frame's body. */
  offset: number;
  index: number;
  reason: QuarantineReason;
  problem: string;
  app_id: string | null;
  day: string | null;
  /** The event as it came, and the upload's device context (merged into it on the way). */
  event: unknown;
  device: unknown;
}

/** The columns that hold a device's strings as they came (props and extra are JSON text, always well-formed). */
const RAW_TEXT = ['event_id', 'app_id', 'device_id', 'type', 'platform', 'os_version', 'app_version', 'device_model', 'screen', 'country', 'region', 'locale', 'slot_id', 'campaign_id', 'creative_id', 'line_item_id', 'name'] as const;
/** Event times a Date (and so a UTC day) can hold, ms. */
const MAX_TIME = 8.64e15;

/**
 * Why a built row cannot be written, or null. App ids become a path segment `app_id=A` of the
 * lake key. `plain`: the frame's JSON text holds no backslash, so none of its strings holds a
 * NUL, a backslash or a lone surrogate (JSON can only write those escaped).
 */
function unwritable(r: EventRow, plain: boolean): [QuarantineReason, string] | null {
  if (!plain) {
    for (const c of RAW_TEXT) {
      const v = r[c];
      if (typeof v === 'string' && !v.isWellFormed()) return ['lone_surrogate', `${c} holds a lone surrogate, which UTF-8 cannot store`];
    }
  }
  const a = r.app_id;
  // A path segment is at most 255 bytes on most file systems; the rest of the name needs some (3 bytes a UTF-16 unit at most).
  if (a.includes('/') || (!plain && (a.includes('\\') || a.includes('\u0000'))) || (a.length > 66 && Buffer.byteLength(a) > 200)) {
    return ['bad_app_id', 'app_id cannot name a lake partition (a /, \\ or NUL, or over 200 bytes)'];
  }
  return null;
}

function setAside(offset: number, index: number, reason: QuarantineReason, problem: string, app: string | null, t: number, event: unknown, device: unknown): QuarantinedRow {
  return { offset, index, reason, problem, app_id: app, day: t >= 0 && t <= MAX_TIME ? day(t) : null, event, device: device ?? null };
}

/** A row of nulls: the one scratch row frameRowsInto fills per event (one shape, no object per event). */
const blankRow = (): EventRow => ({
  dedupe_key: null, event_id: null, app_id: '', device_id: '', seq: null, type: '', ts: 0, sent_at: null, received_at: 0, event_time: 0, dt: '',
  platform: null, os_version: null, app_version: null, device_model: null, device_class: null, screen: null, country: null, country_name: null,
  region: null, region_name: null, locale: null, slot_id: null, campaign_id: null, creative_id: null, line_item_id: null, advertiser_id: null,
  campaign_name: null, publisher_id: null, app_name: null, name: null, props: null, extra: null, source: '', segment: '', frame_offset: 0, flags: null,
});
const scratch = blankRow();

/** A context field: the event's own value, else the upload's device context. */
const ctx = (ev: unknown, dv: unknown): string | null => str(ev !== undefined ? ev : dv);

/**
 * Decodes one frame into normalised rows: device context merged, refused events skipped,
 * time corrected for clock skew, the UTC day it belongs to, the dedupe identity, unknown
 * fields kept as JSON. Enrichment columns are left null for the enrich stage. Context and
 * event are read field by field with static names (an object per event and keyed reads were
 * 41% of this function's profile). Each row is one scratch object handed to `sink`, which must
 * copy what it keeps. An event the Parquet writer cannot take goes to `quarantine` instead.
 */
export function frameRowsInto(frame: Frame, segment: string, offset: number, quarantine: QuarantinedRow[], sink: (r: EventRow) => void): void {
  const beacon = frame.kind === FrameKind.Beacons;
  const raw = frame.codec === Codec.Gzip ? gunzipSync(frame.body) : frame.body;
  // Nearly every frame has no backslash at all: then its ids need no escaping in keys and no string check (one memchr a frame, not 17 checks a row).
  const plain = raw.indexOf(0x5c) < 0;
  const parsed = JSON.parse(raw.toString('utf8')) as unknown;
  const body = beacon ? { device: undefined, sent_at: undefined, events: parsed as Obj[] } : (parsed as { device?: Obj; sent_at?: number; events: Obj[] });
  const dev: Obj = body.device ?? {};
  // The context's unknown fields, found once a frame (not a Set look-up per field per event).
  const devExtra: string[] = [];
  for (const k in dev) if (!KNOWN.has(k)) devExtra.push(k);
  const skip = frame.meta.rejected;
  const r = scratch;
  for (let i = 0; i < body.events.length; i++) {
    if (skip !== undefined && skip.includes(i)) continue;
    const e = body.events[i]!;
    // What an older tracking build (or a bug) let through, and the writer would choke on, is set aside.
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      quarantine.push(setAside(offset, i, 'bad_field', 'the event is not an object', null, Number.NaN, e, body.device));
      continue;
    }
    const ts = e.ts as number;
    const sentAt = int(e.sent_at ?? body.sent_at);
    const eventTime = beacon ? ts : correctedTs(ts, sentAt ?? undefined, frame.receivedAt);
    const appId = (e.app_id !== undefined ? e.app_id : dev.app_id) as string;
    const deviceId = ((e.device_id !== undefined ? e.device_id : dev.device_id) as string | undefined) ?? '';
    if (typeof appId !== 'string' || appId === '') {
      quarantine.push(setAside(offset, i, 'bad_app_id', 'app_id is missing or not a string', null, Number.NaN, e, body.device));
      continue;
    }
    if (typeof e.type !== 'string' || typeof deviceId !== 'string' || !Number.isSafeInteger(ts) || !(eventTime >= 0 && eventTime <= MAX_TIME)) {
      quarantine.push(setAside(offset, i, 'bad_field', 'type, device_id or ts is missing or of the wrong type', appId, Number.NaN, e, body.device));
      continue;
    }
    let extra: Obj | null = null;
    for (let k = 0; k < devExtra.length; k++) if (e[devExtra[k]!] === undefined) (extra ??= {})[devExtra[k]!] = dev[devExtra[k]!];
    for (const k in e) if (!KNOWN.has(k)) (extra ??= {})[k] = e[k];
    if (beacon && e.decision_id !== undefined) (extra ??= {}).decision_id = e.decision_id;
    const eventId = str(e.event_id);
    // The pipeline's one cast: a raw event whose type, app, device and ts were checked above, keyed as the tracking tier keys it.
    r.dedupe_key = eventId === null ? dedupeKey({ ...dev, ...e } as unknown as KeyedEvent) : plain ? null : storedIdKey(appId, deviceId, eventId);
    r.event_id = eventId;
    r.app_id = appId;
    r.device_id = deviceId;
    r.seq = int(e.seq);
    r.type = e.type as string;
    r.ts = ts;
    r.sent_at = sentAt;
    r.received_at = frame.receivedAt;
    r.event_time = eventTime;
    r.dt = day(eventTime);
    r.platform = ctx(e.platform, dev.platform);
    r.os_version = ctx(e.os_version, dev.os_version);
    r.app_version = ctx(e.app_version, dev.app_version);
    r.device_model = ctx(e.device_model, dev.device_model);
    r.screen = ctx(e.screen, dev.screen);
    r.country = ctx(e.country, dev.country);
    r.region = ctx(e.region, dev.region);
    r.locale = ctx(e.locale, dev.locale);
    r.slot_id = str(e.slot_id);
    r.campaign_id = str(e.campaign_id);
    r.creative_id = str(e.creative_id);
    r.line_item_id = str(e.line_item_id);
    r.name = str(e.name);
    r.props = e.props !== undefined ? JSON.stringify(e.props) : null;
    r.extra = extra ? JSON.stringify(extra) : null;
    r.source = beacon ? 'beacon' : frame.meta.source === 'segment' ? 'segment' : 'sdk';
    r.segment = segment;
    r.frame_offset = offset;
    const why = unwritable(r, plain);
    if (why) quarantine.push(setAside(offset, i, why[0], why[1], appId, eventTime, e, body.device));
    else sink(r);
  }
}

/** frameRowsInto with each row copied into an object of its own. */
export function frameRows(frame: Frame, segment: string, offset: number, quarantine: QuarantinedRow[] = []): EventRow[] {
  const out: EventRow[] = [];
  frameRowsInto(frame, segment, offset, quarantine, (r) => out.push({ ...r }));
  return out;
}
