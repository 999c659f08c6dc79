/**
 * The fact tables as the SQL layer sees them: each table's columns in table order with how a
 * value is checked (limits match migration 3, so both backends refuse the same input), the
 * multi-row INSERT text, and row <-> object conversion (numbers always come back as JS numbers:
 * mysql2 may answer BIGINT and SUM as strings). Identifiers are constants from here, quoted
 * with backticks (both SQLite and MySQL read them) because `count` is a MySQL function name.
 */
import type { AppDailyRow, AppHourlyRow, AttributionRow, CampaignHourlyRow, CustomDailyRow, QuarantineRow, RestatementRow, TouchRow } from './facts.js';
import type { Row } from './rows.js';
import type { Executor } from './sql-store.js';

/** A number n: a string of at most n characters ('' allowed); 'i': an integer >= 0; 'f': a finite number >= 0; 't': MEDIUMTEXT. */
type FactColumnKind = number | 'i' | 'f' | 't';

export interface FactTable<T> {
  name: string;
  columns: readonly (readonly [keyof T & string, FactColumnKind])[];
  /** `SELECT <columns> FROM <table>` (add WHERE and ORDER BY). */
  select: string;
  /** INSERT (REPLACE for the restatement log) of n rows; texts are cached so each size is prepared once. */
  insert(n: number): string;
  /** How many rows one INSERT takes at most (a power of two; parameters stay under ~4,096). */
  chunk: number;
  /**
   * Adds `where: column: expected ...` sentences for each bad value of the row; answers the
   * stable reason of the first one (a FactRowReason), or null when the row is good.
   */
  check(row: T, where: string, problems: string[]): FactRowReason | null;
  params(rows: readonly T[]): unknown[];
  fromRow(row: Row): T;
}

const MEDIUMTEXT_MAX_BYTES = 16_777_215;
const MAX_PARAMS = 4096;

const q = (name: string): string => `\`${name}\``;

function describe(kind: FactColumnKind): string {
  if (kind === 'i') return 'an integer from 0 to 2^53 - 1';
  if (kind === 'f') return 'a finite number >= 0';
  if (kind === 't') return `a string of at most ${MEDIUMTEXT_MAX_BYTES} bytes`;
  return `a string of at most ${kind} characters`;
}

/**
 * Why a row cannot be stored, as a stable code (metric labels, quarantine files): a value that
 * is not a number / not text, text with a lone surrogate (no UTF-8 column holds one), text
 * longer than its column; a row of another app or day or hour than the load; another bad value;
 * key_collision for a row whose key MySQL takes as another's (trailing spaces, fact-check.ts);
 * and store_refused for the rows of an app-day the database refused as a whole.
 */
export type FactRowReason = 'not_a_number' | 'not_text' | 'lone_surrogate' | 'too_long' | 'not_a_row' | 'wrong_app' | 'wrong_day' | 'bad_value' | 'key_collision' | 'store_refused';

/** Why a value does not fit its column, or null when it does. */
function badValue(kind: FactColumnKind, v: unknown): FactRowReason | null {
  if (kind === 'i') return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : 'not_a_number';
  if (kind === 'f') return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'not_a_number';
  if (typeof v !== 'string') return 'not_text';
  // isWellFormed is native: the /\p{Cs}/u test it replaces cost more than the rest of the row check.
  if (!v.isWellFormed()) return 'lone_surrogate';
  // VARCHAR(n) counts characters (code points); UTF-16 length is never below that count.
  if (kind === 't') return v.length <= MEDIUMTEXT_MAX_BYTES / 3 || Buffer.byteLength(v) <= MEDIUMTEXT_MAX_BYTES ? null : 'too_long';
  return v.length <= kind || [...v].length <= kind ? null : 'too_long';
}

/**
 * A generated check that answers true when every column of a row surely fits (column names
 * are constants of this file): one monomorphic property load per column instead of a keyed
 * load in a loop (row checks about 4x faster on hourly rows). False sends the row to the full
 * check, which also has the last word on text longer in UTF-16 units than its column allows.
 */
function fastCheck(columns: readonly (readonly [string, FactColumnKind])[]): (row: object) => boolean {
  const terms = columns.map(([col, kind]) => {
    const v = `r[${JSON.stringify(col)}]`;
    if (kind === 'i') return `Number.isSafeInteger(${v}) && ${v} >= 0`;
    if (kind === 'f') return `typeof ${v} === 'number' && Number.isFinite(${v}) && ${v} >= 0`;
    const max = kind === 't' ? MEDIUMTEXT_MAX_BYTES / 3 : kind;
    return `typeof ${v} === 'string' && ${v}.length <= ${max} && ${v}.isWellFormed()`;
  });
  return new Function('r', `return ${terms.join(' && ')};`) as (row: object) => boolean;
}

export function factTable<T>(name: string, columns: readonly (readonly [keyof T & string, FactColumnKind])[], verb = 'INSERT'): FactTable<T> {
  const fits = fastCheck(columns);
  const names = columns.map(([n]) => q(n)).join(', ');
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const inserts = new Map<number, string>();
  return {
    name,
    columns,
    select: `SELECT ${names} FROM ${name}`,
    chunk: 2 ** Math.floor(Math.log2(MAX_PARAMS / columns.length)),
    insert(n) {
      let sql = inserts.get(n);
      if (sql === undefined) inserts.set(n, (sql = `${verb} INTO ${name} (${names}) VALUES ${Array.from({ length: n }, () => tuple).join(', ')}`));
      return sql;
    },
    check(row, where, problems) {
      if (typeof row !== 'object' || row === null) {
        problems.push(`${where}: expected a row object, got ${JSON.stringify(row)}`);
        return 'not_a_row';
      }
      if (fits(row)) return null;
      let first: FactRowReason | null = null;
      for (const [col, kind] of columns) {
        const v = (row as Record<string, unknown>)[col];
        const bad = badValue(kind, v);
        if (bad === null) continue;
        first ??= bad;
        problems.push(`${where}: ${col}: expected ${describe(kind)}, got ${v === undefined ? 'nothing' : (JSON.stringify(v)?.slice(0, 80) ?? typeof v)}`);
      }
      return first;
    },
    params(rows) {
      const out: unknown[] = [];
      for (const r of rows) for (const [col] of columns) out.push((r as Record<string, unknown>)[col]);
      return out;
    },
    fromRow(row) {
      const out: Record<string, unknown> = {};
      for (const [col, kind] of columns) out[col] = typeof kind === 'number' || kind === 't' ? String(row[col]) : Number(row[col]);
      return out as T;
    },
  };
}

const COUNTS = [
  ['events', 'i'], ['app_open', 'i'], ['app_close', 'i'], ['app_background', 'i'], ['app_foreground', 'i'], ['ad_request', 'i'],
  ['ad_impression', 'i'], ['ad_click', 'i'], ['ad_interaction', 'i'], ['custom', 'i'], ['sessions', 'i'], ['session_ms', 'i'],
] as const;

export const APP_HOURLY = factTable<AppHourlyRow>('agg_app_hourly', [
  ['app_id', 64], ['hour', 'i'], ['day', 10], ['platform', 16], ['os_version', 32], ['app_version', 32], ['country', 8], ['device_class', 32],
  ...COUNTS, ['devices', 'i'],
]);

export const APP_DAILY = factTable<AppDailyRow>('agg_app_daily', [
  ['app_id', 64], ['day', 10], ['platform', 16], ...COUNTS, ['devices', 'i'], ['devices_hll', 't'], ['seq_gaps', 'i'], ['duplicates', 'i'],
]);

export const CAMPAIGN_HOURLY = factTable<CampaignHourlyRow>('agg_campaign_hourly', [
  ['app_id', 64], ['hour', 'i'], ['day', 10], ['campaign_id', 64], ['line_item_id', 64], ['creative_id', 64], ['slot_id', 64],
  ['platform', 16], ['country', 8], ['requests', 'i'], ['impressions', 'i'], ['clicks', 'i'], ['interactions', 'i'],
]);

export const CUSTOM_DAILY = factTable<CustomDailyRow>('agg_custom_daily', [
  ['app_id', 64], ['day', 10], ['name', 128], ['prop', 128], ['value', 256], ['count', 'i'],
]);

export const TOUCHES = factTable<TouchRow>('touches', [
  ['app_id', 64], ['day', 10], ['device_id', 128], ['ts', 'i'], ['kind', 16], ['campaign_id', 64], ['creative_id', 64], ['ord', 'i'],
]);

export const ATTRIBUTION = factTable<AttributionRow>('agg_attribution_daily', [
  ['app_id', 64], ['day', 10], ['campaign_id', 64], ['creative_id', 64], ['model', 32], ['conversions', 'f'],
]);

/** REPLACE: a second load of one app-day by the same run overwrites that run's row for the hour and metric. */
export const RESTATEMENTS = factTable<RestatementRow>('restatements', [
  ['run_id', 64], ['app_id', 64], ['hour', 'i'], ['metric', 16], ['old_value', 'i'], ['new_value', 'i'], ['at', 'i'],
], 'REPLACE');

/** REPLACE: a segment or app-day quarantined again under the same lake key overwrites its rows. */
export const QUARANTINE = factTable<QuarantineRow>('quarantined_rows', [
  ['lake_key', 400], ['source', 16], ['app_id', 64], ['day', 10], ['reason', 32], ['row_count', 'i'], ['detail', 1000], ['at', 'i'],
], 'REPLACE');

/**
 * Inserts the rows in as few statements as the table's chunk allows: whole chunks, then the
 * rest in power-of-two pieces. `most` caps the rows a statement: SQLite runs in-process, where
 * one prepared single-row INSERT beats multi-row ones (186k vs 141k rows/s measured), while
 * MySQL saves round trips with many rows a statement.
 */
export async function insertRows<T>(x: Executor, table: FactTable<T>, rows: readonly T[], most = table.chunk): Promise<void> {
  let i = 0;
  for (let n = Math.min(most, table.chunk); n >= 1; n >>= 1) {
    for (; i + n <= rows.length; i += n) await x.run(table.insert(n), table.params(rows.slice(i, i + n)));
  }
}
