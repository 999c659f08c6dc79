import { dedupeKey, type KeyedEvent } from '../common/dedupe-key.js';
import { correctedTs } from '../common/skew.js';
import { FrameKind, type Frame } from '../common/segment-format.js';
import { Codec } from '../common/segment-format.js';
import { gunzipSync } from 'node:zlib';
import { DAY_MS, utcDay } from '../common/time.js';

/** One enriched event as it goes to Parquet: every row has every column (null when absent). */
export interface EventRow {
  dedupe_key: string;
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

/**
 * Decodes one frame into normalised rows: device context merged, refused events skipped,
 * time corrected for clock skew, the UTC day it belongs to, the dedupe identity, unknown
 * fields kept as JSON. Enrichment columns are left null for the enrich stage. Context and
 * event are read field by field, not merged with a spread (measured 9.6 us per event).
 */
export function frameRows(frame: Frame, segment: string, offset: number): EventRow[] {
  const out: EventRow[] = [];
  const beacon = frame.kind === FrameKind.Beacons;
  const raw = frame.codec === Codec.Gzip ? gunzipSync(frame.body) : frame.body;
  const parsed = JSON.parse(raw.toString('utf8')) as unknown;
  const body = beacon ? { device: undefined, sent_at: undefined, events: parsed as Obj[] } : (parsed as { device?: Obj; sent_at?: number; events: Obj[] });
  const dev: Obj = body.device ?? {};
  const skip = frame.meta.rejected;
  for (let i = 0; i < body.events.length; i++) {
    if (skip !== undefined && skip.includes(i)) continue;
    const e = body.events[i]!;
    const f = (k: string): unknown => (e[k] !== undefined ? e[k] : dev[k]);
    const ts = e.ts as number;
    const sentAt = int(e.sent_at ?? body.sent_at);
    const eventTime = beacon ? ts : correctedTs(ts, sentAt ?? undefined, frame.receivedAt);
    let extra: Obj | null = null;
    for (const k in dev) if (!KNOWN.has(k) && e[k] === undefined) (extra ??= {})[k] = dev[k];
    for (const k in e) if (!KNOWN.has(k)) (extra ??= {})[k] = e[k];
    if (beacon && e.decision_id !== undefined) (extra ??= {}).decision_id = e.decision_id;
    const appId = f('app_id') as string;
    const deviceId = (f('device_id') as string | undefined) ?? '';
    const eventId = str(e.event_id);
    out.push({
      dedupe_key: eventId !== null ? `${appId}\u0000${deviceId}\u0000id:${eventId}` : dedupeKey({ ...dev, ...e } as unknown as KeyedEvent),
      event_id: eventId,
      app_id: appId,
      device_id: deviceId,
      seq: int(e.seq),
      type: e.type as string,
      ts,
      sent_at: sentAt,
      received_at: frame.receivedAt,
      event_time: eventTime,
      dt: day(eventTime),
      platform: str(f('platform')), os_version: str(f('os_version')), app_version: str(f('app_version')), device_model: str(f('device_model')), device_class: null,
      screen: str(f('screen')), country: str(f('country')), country_name: null, region: str(f('region')), region_name: null, locale: str(f('locale')),
      slot_id: str(e.slot_id), campaign_id: str(e.campaign_id), creative_id: str(e.creative_id), line_item_id: str(e.line_item_id),
      advertiser_id: null, campaign_name: null, publisher_id: null, app_name: null,
      name: str(e.name),
      props: e.props !== undefined ? JSON.stringify(e.props) : null,
      extra: extra ? JSON.stringify(extra) : null,
      source: beacon ? 'beacon' : 'sdk',
      segment,
      frame_offset: offset,
      flags: null,
    });
  }
  return out;
}
