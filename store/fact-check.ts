/**
 * The row rules of an app-day load (FactStore.replaceAppDay), shared by the store, which
 * refuses a load with any bad row, and the jobs, which set bad rows aside in the lake's
 * quarantine and load the rest (`splitAppDayFacts`), so one bad value never stops a load.
 */
import { asRows } from './rows.js';
import { DAY_MS, HOUR_MS, parseUtcDay } from '../common/time.js';
import { APP_DAILY, APP_HOURLY, CAMPAIGN_HOURLY, CUSTOM_DAILY, TOUCHES, type FactRowReason, type FactTable } from './fact-tables.js';
import type { AppDayFacts } from './facts.js';

export type { FactRowReason } from './fact-tables.js';

/** A row of an app-day load that the store cannot hold. */
export interface RefusedFactRow {
  table: string;
  /** Its index in the table's rows as they came. */
  index: number;
  reason: FactRowReason;
  /** Every problem of the row, in words. */
  problem: string;
  row: unknown;
}

type Extra<T> = (r: T) => string | undefined;
interface Rule {
  key: keyof AppDayFacts;
  table: { [K in keyof AppDayFacts]: FactTable<AppDayFacts[K][number]> }[keyof AppDayFacts];
  extra?: Extra<never>;
}

/**
 * The text columns of each app-day table's primary key. MySQL and MariaDB compare VARCHARs
 * with PAD SPACE even in utf8mb4_bin: 'red' and 'red ' are one key there, so two such rows
 * fail the whole load (STORE_ERR_CONFLICT). The later one is set aside on every backend, so
 * both hold the same rows.
 */
const KEY_TEXT: Record<keyof AppDayFacts, readonly string[]> = {
  hourly: ['platform', 'os_version', 'app_version', 'country', 'device_class'],
  daily: ['platform'],
  campaign: ['campaign_id', 'line_item_id', 'creative_id', 'slot_id', 'platform', 'country'],
  custom: ['name', 'prop', 'value'],
  touches: ['device_id'],
};
/** The non-text key columns (app_id and day are the load's own). */
const KEY_OTHER: Record<keyof AppDayFacts, readonly string[]> = { hourly: ['hour'], daily: [], campaign: ['hour'], custom: [], touches: ['ts', 'ord'] };

/** Generated per table (constant column names): whether a row's key text ends in a space, with one monomorphic load per column. */
const ENDS_IN_SPACE = Object.fromEntries(
  Object.entries(KEY_TEXT).map(([t, cols]) => [t, new Function('r', `let s; return ${cols.map((c) => `(s = r[${JSON.stringify(c)}]).charCodeAt(s.length - 1) === 32`).join(' || ')};`) as (r: object) => boolean]),
) as Record<keyof AppDayFacts, (r: object) => boolean>;

/** The five tables of an app-day and the checks beyond their columns (hours and times inside the day). */
function rules(dayStr: string): Rule[] {
  const from = parseUtcDay(dayStr);
  const to = from + DAY_MS;
  const inHour: Extra<{ hour: number }> = (r) => (r.hour % HOUR_MS !== 0 || r.hour < from || r.hour >= to ? `hour: expected the start of a UTC hour of ${dayStr}, got ${r.hour}` : undefined);
  const touch: Extra<{ kind: string; ts: number }> = (r) =>
    r.kind !== 'click' && r.kind !== 'conversion' ? `kind: expected click or conversion, got ${JSON.stringify(r.kind)}`
    : r.ts < from || r.ts >= to ? `ts: expected a time in ${dayStr}, got ${r.ts}` : undefined;
  return [
    { key: 'hourly', table: APP_HOURLY, extra: inHour },
    { key: 'daily', table: APP_DAILY },
    { key: 'campaign', table: CAMPAIGN_HOURLY, extra: inHour },
    { key: 'custom', table: CUSTOM_DAILY },
    { key: 'touches', table: TOUCHES, extra: touch },
  ];
}

/** The problems of one row (appended to `problems`) and the reason of the first, or null when it is good. */
function rowProblem(rule: Rule, r: unknown, where: string, appId: string, dayStr: string, problems: string[]): FactRowReason | null {
  const reason = rule.table.check(r as never, where, problems);
  if (reason !== null) return reason;
  const row = r as { app_id: string; day: string };
  if (row.app_id !== appId) {
    problems.push(`${where}: app_id: expected ${JSON.stringify(appId)}, got ${JSON.stringify(row.app_id)}`);
    return 'wrong_app';
  }
  if (row.day !== dayStr) {
    problems.push(`${where}: day: ${JSON.stringify(row.day)} is outside the days being replaced`);
    return 'wrong_day';
  }
  const p = rule.extra?.(r as never);
  if (p === undefined) return null;
  problems.push(`${where}: ${p}`);
  return 'bad_value';
}

/**
 * Checks every row of an app-day load; adds at most `max` problems (table, row number, column,
 * what was expected) to `problems`. The facts' shape (five arrays) is the caller's to check.
 */
export function checkAppDayFacts(appId: string, dayStr: string, facts: AppDayFacts, problems: string[], max: number): void {
  for (const rule of rules(dayStr)) {
    const rows = facts[rule.key] as unknown;
    if (!Array.isArray(rows)) {
      problems.push(`${rule.table.name}: expected an array of rows, got ${typeof rows}`);
      continue;
    }
    for (let i = 0; i < rows.length && problems.length < max; i++) rowProblem(rule, rows[i], `${rule.table.name} row ${i}`, appId, dayStr, problems);
  }
}

/**
 * Sets aside each row whose key equals an earlier row's once trailing spaces are ignored (see
 * KEY_TEXT), among the rows not dropped yet; answers the dropped set. A load without a key
 * ending in a space (nearly all) costs one generated check a row.
 */
function padTwins(rule: Rule, rows: readonly Record<string, unknown>[], drop: Set<number> | null, refused: RefusedFactRow[]): Set<number> | null {
  const ends = ENDS_IN_SPACE[rule.key];
  if (!rows.some((r, i) => !drop?.has(i) && ends(r))) return drop;
  const seen = new Set<string>();
  for (const [i, r] of rows.entries()) {
    if (drop?.has(i)) continue;
    const key = JSON.stringify([...KEY_TEXT[rule.key].map((c) => (r[c] as string).replace(/ +$/, '')), ...KEY_OTHER[rule.key].map((c) => r[c])]);
    if (!seen.has(key)) {
      seen.add(key);
      continue;
    }
    (drop ??= new Set()).add(i);
    const cols = KEY_TEXT[rule.key].map((c) => `${c} ${JSON.stringify(r[c])}`).join(', ');
    refused.push({ table: rule.table.name, index: i, reason: 'key_collision', problem: `${rule.table.name} row ${i}: ${cols}: the key equals another row's once trailing spaces are ignored (MySQL compares so)`, row: r });
  }
  return drop;
}

/**
 * Splits an app-day load into the rows the store takes and the ones it would refuse, each
 * with its reason. The rows that pass are the same objects, in their order.
 */
export function splitAppDayFacts(appId: string, dayStr: string, facts: AppDayFacts): { facts: AppDayFacts; refused: RefusedFactRow[] } {
  const refused: RefusedFactRow[] = [];
  const out = { ...facts };
  const problems: string[] = [];
  for (const rule of rules(dayStr)) {
    const rows = asRows(facts[rule.key] ?? []);
    // The common case (every row good) allocates nothing.
    let drop: Set<number> | null = null;
    for (let i = 0; i < rows.length; i++) {
      problems.length = 0;
      const reason = rowProblem(rule, rows[i], `${rule.table.name} row ${i}`, appId, dayStr, problems);
      if (reason === null) continue;
      (drop ??= new Set()).add(i);
      refused.push({ table: rule.table.name, index: i, reason, problem: problems.join('; '), row: rows[i] });
    }
    const dropped = padTwins(rule, rows, drop, refused);
    if (dropped) (out as Record<string, unknown>)[rule.key] = rows.filter((_, i) => !dropped.has(i));
  }
  return { facts: out, refused };
}
