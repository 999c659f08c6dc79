/**
 * Segment-spec messages (what Segment's and RudderStack's SDKs send to `/v1/batch`, `/v1/track`,
 * ...) mapped onto Sluice's event contract, one event per message:
 * - `messageId` is the event_id (the dedupe id: a retried message is a duplicate), and required;
 * - the device is `context.device.id`, else `anonymousId`, else `userId`;
 * - `context.os` / `app` / `device` / `screen` / `locale` / `location` fill the device context
 *   where their values fit Sluice's patterns (a value that does not fit is left out, not refused);
 * - `timestamp` is the event time (receipt when absent) and `sentAt` drives the same clock-skew
 *   correction as a native upload's sent_at;
 * - `track` of Segment's mobile lifecycle events becomes app_open / app_background, any other
 *   `track` a custom event named as the message's `event` with its properties; `screen` and
 *   `page` become custom `screen` / `page` events with the screen's name; `identify`, `group`
 *   and `alias` become custom events of those names (traits are not kept);
 * - properties become props: strings and numbers as they are, booleans as 'true' / 'false',
 *   nested values as their JSON text (refused past 256 characters, as any prop value).
 * Messages that cannot be mapped are rejected here with a reason; the rest go through the
 * native validation (ingest.ts), so both routes refuse the same values.
 */
import { RejectCode } from '../common/errors.js';
import type { RejectedEvent } from './ingest.js';

export const SEGMENT_TYPES = ['track', 'screen', 'page', 'identify', 'group', 'alias'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];
const TYPES: ReadonlySet<string> = new Set(SEGMENT_TYPES);

/** Segment's mobile lifecycle events (trackApplicationLifecycleEvents) that Sluice's sessions understand. */
const LIFECYCLE: Readonly<Record<string, string>> = { 'Application Opened': 'app_open', 'Application Backgrounded': 'app_background', 'Application Foregrounded': 'app_foreground' };

const OS_VERSION = /^[0-9A-Za-z._-]{1,32}$/;
const APP_VERSION = /^[0-9A-Za-z._+-]{1,32}$/;
const LOCALE = /^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;
const COUNTRY = /^[A-Z]{2}$/;

interface MappedBatch {
  /** The native upload body: `{ events }`, every event carrying its own context. */
  events: Record<string, unknown>[];
  /** For each native event, the index of its message in the request. */
  messageIndex: number[];
  /** Messages refused before validation (the index is the message's). */
  rejected: RejectedEvent[];
  /** Messages in the request. */
  messages: number;
}

type Obj = Record<string, unknown>;

/** Why a message cannot be mapped. */
class Refusal {
  constructor(readonly code: string, readonly field: string, readonly reason: string) {}
}
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const idText = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

/** An ISO-8601 time (or epoch ms) as epoch ms; undefined when absent, NaN when unreadable. */
function time(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v) : Number.NaN;
  return typeof v === 'string' ? Date.parse(v) : Number.NaN;
}

/** Properties as flat props (see the file comment); undefined when there are none. */
function props(p: unknown, extra: Obj | null): Obj | undefined {
  // No prototype: a property named __proto__ stays a key, and the validator refuses it as on the native route.
  let out: Obj | undefined;
  if (isObj(p)) {
    for (const k of Object.keys(p)) {
      const v = p[k];
      if (v === undefined || v === null) continue;
      (out ??= Object.create(null) as Obj)[k] = typeof v === 'string' || typeof v === 'number' ? v : typeof v === 'boolean' ? String(v) : JSON.stringify(v);
    }
  }
  if (extra) for (const k of Object.keys(extra)) if (extra[k] !== undefined) (out ??= Object.create(null) as Obj)[k] = extra[k];
  return out;
}

/** The device context of a message from its `context` (the batch's, with the message's own winning). */
function context(ev: Obj, ctx: Obj): void {
  const os = isObj(ctx.os) ? ctx.os : {};
  const osName = typeof os.name === 'string' ? os.name.toLowerCase() : '';
  if (osName === 'ios' || osName === 'ipados') ev.platform = 'ios';
  else if (osName === 'android') ev.platform = 'android';
  if (typeof os.version === 'string' && OS_VERSION.test(os.version)) ev.os_version = os.version;
  const app = isObj(ctx.app) ? ctx.app : {};
  if (typeof app.version === 'string' && APP_VERSION.test(app.version)) ev.app_version = app.version;
  const device = isObj(ctx.device) ? ctx.device : {};
  if (typeof device.model === 'string' && device.model.length <= 64) ev.device_model = device.model;
  const screen = isObj(ctx.screen) ? ctx.screen : {};
  if (Number.isInteger(screen.width) && Number.isInteger(screen.height)) {
    const s = `${String(screen.width)}x${String(screen.height)}`;
    if (/^[0-9]{2,5}x[0-9]{2,5}$/.test(s)) ev.screen = s;
  }
  if (typeof ctx.locale === 'string' && ctx.locale.length <= 35 && LOCALE.test(ctx.locale)) ev.locale = ctx.locale;
  const loc = isObj(ctx.location) ? ctx.location : {};
  if (typeof loc.country === 'string' && COUNTRY.test(loc.country)) ev.country = loc.country;
  if (typeof loc.region === 'string' && loc.region !== '' && loc.region.length <= 64) ev.region = loc.region;
}

/** The message as a Sluice event, or why it cannot be one. */
function mapMessage(m: unknown, route: SegmentType | null, batchCtx: Obj, batchSentAt: number | undefined, appId: string, receivedAt: number): Obj | Refusal {
  if (!isObj(m)) return new Refusal(RejectCode.NOT_OBJECT, '(message)', 'a message must be a JSON object');
  const type = route ?? m.type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    return new Refusal(RejectCode.UNKNOWN_TYPE, 'type', `unknown message type ${JSON.stringify(type)?.slice(0, 40) ?? 'undefined'}; expected one of ${SEGMENT_TYPES.join(', ')}`);
  }
  const ctx = isObj(m.context) ? { ...batchCtx, ...m.context } : batchCtx;
  const device = isObj(ctx.device) ? ctx.device : {};
  const deviceId = idText(device.id) ?? idText(m.anonymousId) ?? idText(m.userId);
  if (deviceId === undefined) return new Refusal(RejectCode.MISSING_FIELD, 'anonymousId', 'a message needs an anonymousId or a userId (or context.device.id)');
  // The dedupe id: without it a retried message (no seq, and a receipt time when it has no timestamp) could not be told from a new one.
  if (idText(m.messageId) === undefined) return new Refusal(RejectCode.MISSING_FIELD, 'messageId', 'a message needs its messageId (the SDKs set one): it is how a retried message is known');
  const ts = time(m.timestamp) ?? time(m.originalTimestamp) ?? receivedAt;
  if (Number.isNaN(ts)) return new Refusal(RejectCode.BAD_VALUE, 'timestamp', `timestamp ${JSON.stringify(m.timestamp)?.slice(0, 40)} is not an ISO-8601 time`);
  const sentAt = time(m.sentAt) ?? batchSentAt;
  const ev: Obj = { event_id: idText(m.messageId), device_id: deviceId, app_id: appId, ts, type: 'custom' };
  if (sentAt !== undefined && !Number.isNaN(sentAt)) ev.sent_at = sentAt;
  context(ev, ctx);
  const userId = idText(m.userId);
  if (userId !== undefined) ev.user_id = userId;
  if (type === 'track') {
    if (typeof m.event !== 'string' || m.event === '') return new Refusal(RejectCode.MISSING_NAME, 'event', 'a track message needs its event name');
    const life = LIFECYCLE[m.event];
    if (life !== undefined) ev.type = life;
    else ev.name = m.event;
    if (life === undefined) ev.props = props(m.properties, null);
  } else if (type === 'screen' || type === 'page') {
    ev.name = type;
    const name = idText(m.name) ?? (isObj(m.properties) ? idText(m.properties.name) : undefined);
    ev.props = props(m.properties, name !== undefined ? { name } : null);
  } else {
    ev.name = type;
    ev.props = props(null, type === 'group' ? { group_id: idText(m.groupId) } : type === 'alias' ? { previous_id: idText(m.previousId) } : null);
  }
  if (ev.event_id === undefined) delete ev.event_id;
  if (ev.props === undefined) delete ev.props;
  return ev;
}

/**
 * The request body of a Segment route as native events. `route` is the message type the route
 * implies (`/v1/track` ...), or null for `/v1/batch`, whose body is `{ batch: [...], context?, sentAt? }`.
 */
export function mapSegmentBody(body: unknown, route: SegmentType | null, appId: string, receivedAt: number): MappedBatch | string {
  if (!isObj(body)) return 'the body must be a JSON object';
  let messages: unknown[];
  if (route === null) {
    if (!Array.isArray(body.batch)) return 'the body needs a "batch" array of messages';
    messages = body.batch;
  } else messages = [body];
  const batchCtx = route === null && isObj(body.context) ? body.context : {};
  const sentAt = route === null ? time(body.sentAt) : undefined;
  const out: MappedBatch = { events: [], messageIndex: [], rejected: [], messages: messages.length };
  for (let i = 0; i < messages.length; i++) {
    const r = mapMessage(messages[i], route, batchCtx, sentAt !== undefined && !Number.isNaN(sentAt) ? sentAt : undefined, appId, receivedAt);
    if (r instanceof Refusal) out.rejected.push({ index: i, code: r.code, field: r.field, reason: r.reason });
    else {
      out.events.push(r);
      out.messageIndex.push(i);
    }
  }
  return out;
}
