import { Type, type Static } from '@sinclair/typebox';

/** Every event type a device may send (DESIGN.md, Event contract). */
export const EVENT_TYPES = [
  'app_open',
  'app_close',
  'app_background',
  'app_foreground',
  'ad_request',
  'ad_impression',
  'ad_click',
  'ad_interaction',
  'custom',
] as const;

/** Ad events that must name the campaign, creative and slot they are about. */
export const AD_DELIVERY_TYPES: ReadonlySet<string> = new Set(['ad_impression', 'ad_click', 'ad_interaction']);

const PLATFORMS = ['ios', 'android'] as const;

/** Largest plausible epoch-ms timestamp (year 2286); rejects huge numbers early. */
const MAX_TS = 10_000_000_000_000;
const id = (max: number) => Type.String({ minLength: 1, maxLength: max });

/** Device context: sent once per upload in `device`, or per event (the event's value wins). */
export const DeviceContextSchema = Type.Object(
  {
    device_id: Type.Optional(id(128)),
    app_id: Type.Optional(id(64)),
    platform: Type.Optional(Type.Union(PLATFORMS.map((p) => Type.Literal(p)))),
    os_version: Type.Optional(Type.String({ maxLength: 32, pattern: '^[0-9A-Za-z._-]+$' })),
    app_version: Type.Optional(Type.String({ maxLength: 32, pattern: '^[0-9A-Za-z._+-]+$' })),
    device_model: Type.Optional(Type.String({ maxLength: 64 })),
    screen: Type.Optional(Type.String({ maxLength: 11, pattern: '^[0-9]{2,5}x[0-9]{2,5}$' })),
    country: Type.Optional(Type.String({ maxLength: 2, pattern: '^[A-Z]{2}$' })),
    region: Type.Optional(Type.String({ maxLength: 64 })),
    locale: Type.Optional(Type.String({ maxLength: 35, pattern: '^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$' })),
  },
  { additionalProperties: true },
);

/** A prop value: flat string or finite number, nothing nested. */
const PropValue = Type.Union([Type.String({ maxLength: 256 }), Type.Number()]);

const eventFields = {
  event_id: Type.Optional(id(64)),
  seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
  ts: Type.Integer({ minimum: 0, maximum: MAX_TS }),
  sent_at: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TS })),
  campaign_id: Type.Optional(id(64)),
  creative_id: Type.Optional(id(64)),
  slot_id: Type.Optional(id(64)),
  name: Type.Optional(id(128)),
  props: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), PropValue, { maxProperties: 64 })),
};

/**
 * One event after the device context is merged in. Unknown fields are allowed and kept.
 * `event_id` is optional for legacy SDKs (dedupe falls back to a content fingerprint);
 * `sent_at` may come per event or once per upload.
 */
export const EventSchema = Type.Composite([DeviceContextSchema, Type.Object({ device_id: id(128), app_id: id(64), ...eventFields })], { additionalProperties: true });

/** One event as it sits in an upload: `device_id` and `app_id` may come from the body's `device`. */
export const EventInBatchSchema = Type.Composite([DeviceContextSchema, Type.Object(eventFields)], { additionalProperties: true });
/**
 * An event mapped from another SDK's message (tracking/segment-map.ts): the same fields, but
 * `seq` is optional, as those SDKs keep no per-device counter (the jobs order such events by
 * time and count no sequence gaps for them, as for beacons).
 */
export const MappedEventInBatchSchema = Type.Composite([DeviceContextSchema, Type.Object({ ...eventFields, seq: Type.Optional(eventFields.seq) })], { additionalProperties: true });
export type SluiceEvent = Static<typeof EventSchema>;
export type DeviceContext = Static<typeof DeviceContextSchema>;

