/**
 * How each entity maps to its table: columns and their kinds, the SQL text (shared by both
 * backends: both take `?` placeholders), row <-> entity conversion and field checks.
 * Identifiers in the SQL are constants from here; values are always bound parameters.
 */
import { CREATIVE_KINDS, type Advertiser, type App, type Campaign, type Creative, type LineItem, type Publisher, type Slot } from './model.js';
import { check, PAYLOAD_MAX_BYTES } from './validate.js';
import type { Checker } from './validate.js';

export type Row = Record<string, unknown>;

/**
 * Typed fact rows read by column name (checks, sums, rollups): the store's one cast between
 * its row interfaces and name-indexed records. Every column the caller reads is in the row's
 * table definition (store/fact-tables.ts).
 */
export function asRows(rows: readonly object[]): Row[] {
  return rows as unknown as Row[];
}

/** s: string, n: number, j: JSON text (arrays, objects or null). */
type ColumnKind = 's' | 'n' | 'j';

export interface EntitySpec<T extends { id: string }> {
  /** In messages: 'line item'. */
  what: string;
  table: string;
  prefix: string;
  /** Column names and kinds; `id` first. */
  columns: readonly (readonly [keyof T & string, ColumnKind])[];
  parent?: { column: keyof T & string; table: string; what: string };
  check(e: T): string[];
  sql: {
    insert: string;
    update: string;
    get: string;
    list: string;
    listByParent: string;
    delete: string;
    parentExists: string;
  };
  /** Keeps only the entity's columns; copies JSON fields so callers' objects are never shared. */
  pick(input: Record<string, unknown>): T;
  fromRow(row: Row): T;
  /** Parameters of `insert` (id first) or of `update` (id last). */
  insertParams(e: T): unknown[];
  updateParams(e: T): unknown[];
}

function toParam(kind: ColumnKind, v: unknown): unknown {
  if (v === undefined) return null;
  return kind === 'j' ? JSON.stringify(v) : v;
}

function fromColumn(kind: ColumnKind, v: unknown): unknown {
  if (kind === 'n') return Number(v);
  if (kind === 'j') return v === null || v === undefined ? null : JSON.parse(String(v));
  return v === null || v === undefined ? v : String(v);
}

function spec<T extends { id: string }>(
  what: string,
  table: string,
  prefix: string,
  columns: readonly (readonly [keyof T & string, ColumnKind])[],
  checks: (c: Checker, e: T) => void,
  parent?: { column: keyof T & string; table: string; what: string },
): EntitySpec<T> {
  const names = columns.map(([n]) => n);
  const rest = columns.slice(1);
  const select = `SELECT ${names.join(', ')} FROM ${table}`;
  return {
    what,
    table,
    prefix,
    columns,
    parent,
    check(e) {
      const c = check(e).id('id');
      if (parent) c.id(parent.column);
      checks(c, e);
      return c.problems;
    },
    sql: {
      insert: `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
      update: `UPDATE ${table} SET ${rest.map(([n]) => `${n} = ?`).join(', ')} WHERE id = ?`,
      get: `${select} WHERE id = ?`,
      list: `${select} ORDER BY id`,
      listByParent: parent ? `${select} WHERE ${parent.column} = ? ORDER BY id` : `${select} ORDER BY id`,
      delete: `DELETE FROM ${table} WHERE id = ?`,
      parentExists: parent ? `SELECT id FROM ${parent.table} WHERE id = ?` : '',
    },
    pick(input) {
      const out: Record<string, unknown> = {};
      for (const [n, kind] of columns) out[n] = kind === 'j' && input[n] != null ? structuredClone(input[n]) : input[n];
      return out as T;
    },
    fromRow(row) {
      const out: Record<string, unknown> = {};
      for (const [n, kind] of columns) out[n] = fromColumn(kind, row[n]);
      return out as T;
    },
    insertParams: (e) => columns.map(([n, kind]) => toParam(kind, (e as Record<string, unknown>)[n])),
    updateParams: (e) => [...rest.map(([n, kind]) => toParam(kind, (e as Record<string, unknown>)[n])), e.id],
  };
}

const STATUS = ['active', 'paused', 'archived'] as const;

export const PUBLISHER = spec<Publisher>('publisher', 'publishers', 'pub_', [['id', 's'], ['name', 's'], ['rev_share_bps', 'n']], (c) => c.text('name').revShare('rev_share_bps'));

export const APP = spec<App>(
  'app',
  'apps',
  'app_',
  [['id', 's'], ['publisher_id', 's'], ['name', 's'], ['platform', 's'], ['attribution_lookback_days', 'n'], ['attribution_model', 's']],
  (c) =>
    c
      .text('name')
      .oneOf('platform', ['ios', 'android', 'both'])
      .int('attribution_lookback_days', 0, 365)
      .oneOf('attribution_model', ['last_touch', 'linear', 'time_decay']),
  { column: 'publisher_id', table: 'publishers', what: 'publisher' },
);

export const SLOT = spec<Slot>(
  'slot',
  'slots',
  'slt_',
  [['id', 's'], ['app_id', 's'], ['name', 's'], ['size', 's']],
  (c) => c.text('name').size('size'),
  { column: 'app_id', table: 'apps', what: 'app' },
);

export const ADVERTISER = spec<Advertiser>('advertiser', 'advertisers', 'adv_', [['id', 's'], ['name', 's']], (c) => c.text('name'));

export const CAMPAIGN = spec<Campaign>(
  'campaign',
  'campaigns',
  'cmp_',
  [
    ['id', 's'], ['advertiser_id', 's'], ['name', 's'], ['start_at', 'n'], ['end_at', 'n'], ['status', 's'],
    ['budget_micros', 'n'], ['priority', 'n'], ['exclusion_labels', 'j'], ['currency', 's'],
  ],
  (c) =>
    c
      .text('name')
      .flight('start_at', 'end_at')
      .oneOf('status', STATUS)
      .money('budget_micros')
      .currency('currency')
      .int('priority', -1_000_000, 1_000_000)
      .strings('exclusion_labels', 100, 64),
  { column: 'advertiser_id', table: 'advertisers', what: 'advertiser' },
);

export const LINE_ITEM = spec<LineItem>(
  'line item',
  'line_items',
  'li_',
  [
    ['id', 's'], ['campaign_id', 's'], ['name', 's'], ['start_at', 'n'], ['end_at', 'n'], ['status', 's'], ['goal_type', 's'],
    ['goal', 'n'], ['delivery', 's'], ['country_split', 'j'], ['targeting', 's'], ['cap_count', 'n'], ['cap_window_ms', 'n'],
    ['slot_ids', 'j'], ['price_model', 's'], ['price_micros', 'n'],
  ],
  (c) =>
    c
      .text('name')
      .flight('start_at', 'end_at')
      .oneOf('status', STATUS)
      .oneOf('goal_type', ['impressions', 'clicks'])
      .int('goal')
      .oneOf('delivery', ['even', 'frontloaded', 'asap'])
      .countrySplit('country_split')
      .blob('targeting')
      .int('cap_count', 0, 2_147_483_647)
      .int('cap_window_ms')
      .strings('slot_ids', 1000, 64)
      .priceModel('price_model')
      .money('price_micros'),
  { column: 'campaign_id', table: 'campaigns', what: 'campaign' },
);

export const CREATIVE = spec<Creative>(
  'creative',
  'creatives',
  'cr_',
  [['id', 's'], ['line_item_id', 's'], ['name', 's'], ['kind', 's'], ['size', 's'], ['payload', 's'], ['click_url', 's'], ['weight', 'n']],
  (c) => c.text('name').oneOf('kind', CREATIVE_KINDS).size('size').blob('payload', PAYLOAD_MAX_BYTES).videoPayload('kind', 'payload').blob('click_url').number('weight', 0, 1e9),
  { column: 'line_item_id', table: 'line_items', what: 'line item' },
);

export const SQL = {
  bumpRevision: 'UPDATE model_revision SET rev = rev + 1 WHERE id = 1',
  revision: 'SELECT rev FROM model_revision WHERE id = 1',
  appliedMigrations: 'SELECT version FROM schema_migrations ORDER BY version',
  recordMigration: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  appExists: 'SELECT id FROM apps WHERE id = ?',
  keyOwner: 'SELECT app_id FROM app_keys WHERE hash = ?',
  insertKey: 'INSERT INTO app_keys (hash, app_id, created_at) VALUES (?, ?, ?)',
  listKeys: 'SELECT hash, app_id FROM app_keys ORDER BY hash',
  delivered: 'SELECT line_item_id, SUM(impressions) AS impressions, SUM(clicks) AS clicks FROM delivery WHERE hour >= ? GROUP BY line_item_id',
  /** REPLACE sets the row whole on both SQLite and MySQL: re-loading the same rows leaves the same numbers. */
  replaceDelivery: (n: number): string =>
    `REPLACE INTO delivery (line_item_id, hour, country, impressions, clicks) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')}`,
} as const;
