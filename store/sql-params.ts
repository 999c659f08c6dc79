/**
 * Small pieces the report reads share: placeholders for an IN list, numbers out of a row, and
 * the check of an id list (at most MAX_IDS strings) before it becomes one.
 */
import { invalid } from './errors.js';
import type { Row } from './rows.js';

const MAX_IDS = 10_000;

/** `?, ?, ?` for n values. */
export const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** A number column of a row (SUMs come back as strings or bigints from some drivers); 0 when NULL. */
export const num = (r: Row, k: string): number => Number(r[k] ?? 0);

/** Refuses anything but an array of at most MAX_IDS strings, naming the read (`what`) and the argument (`arg`). */
export function checkIds(what: string, arg: string, list: readonly string[]): readonly string[] {
  if (!Array.isArray(list) || list.length > MAX_IDS || list.some((x) => typeof x !== 'string')) throw invalid(what, [`${arg}: expected at most ${MAX_IDS} ids`]);
  return list;
}
