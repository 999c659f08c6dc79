import type { EventRow } from './row.js';

/**
 * How a column of the lake's event files is stored:
 * - `dict`: a string with few distinct values (app, platform, os, country, model, type, name...),
 *   an Arrow dictionary vector and a Parquet dictionary page;
 * - `text`: a string that is (nearly) unique per row (keys, ids, JSON), PLAIN without a dictionary;
 * - `int`: INT64; `time`: INT64 annotated TIMESTAMP(MILLIS, UTC).
 */
type ColumnKind = 'dict' | 'text' | 'int' | 'time';

interface EventColumn {
  name: keyof EventRow;
  kind: ColumnKind;
  /** Never null (REQUIRED in the Parquet schema). */
  required: boolean;
}

const c = (name: keyof EventRow, kind: ColumnKind, required = false): EventColumn => ({ name, kind, required });

/** The columns of the lake's event files, in file order (the order the first writer used; `sluice mr cat` keeps it). */
export const EVENT_COLUMNS: readonly EventColumn[] = [
  c('dedupe_key', 'text'), c('event_id', 'text'), c('app_id', 'dict', true), c('device_id', 'dict', true), c('seq', 'int'), c('type', 'dict', true),
  c('ts', 'time', true), c('sent_at', 'time'), c('received_at', 'time', true), c('event_time', 'time', true), c('dt', 'dict', true), c('platform', 'dict'),
  c('os_version', 'dict'), c('app_version', 'dict'), c('device_model', 'dict'), c('device_class', 'dict'), c('screen', 'dict'), c('country', 'dict'),
  c('country_name', 'dict'), c('region', 'dict'), c('region_name', 'dict'), c('locale', 'dict'), c('slot_id', 'dict'), c('campaign_id', 'dict'),
  c('creative_id', 'dict'), c('line_item_id', 'dict'), c('advertiser_id', 'dict'), c('campaign_name', 'dict'), c('publisher_id', 'dict'), c('app_name', 'dict'),
  c('name', 'dict'), c('props', 'dict'), c('extra', 'dict'), c('source', 'dict', true), c('segment', 'dict', true), c('frame_offset', 'int', true), c('flags', 'dict'),
];
