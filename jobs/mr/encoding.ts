/**
 * Keys and values as printable ASCII, so `LC_ALL=C sort`, Hadoop's byte-wise key order and
 * JavaScript's string order agree and no tab or newline can split a line.
 *
 * - A key is fields joined by one space; each field is escaped with `keyField` (space,
 *   backslash, control and non-ASCII characters become `\\` or `\uXXXX`), so the space is
 *   the smallest byte of a key and keys sort field by field like tuples.
 * - Numbers in keys are fixed width (`fixed`): 16 decimal digits cover every safe integer,
 *   so byte order is numeric order.
 * - Values are JSON with non-ASCII characters written as `\uXXXX` (`asciiJson`), still valid
 *   JSON that parses to the same strings; JSON.stringify already escapes tabs and newlines.
 */
import { MrError, MrErrorCode } from './errors.js';

const hex4 = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One key field: printable ASCII without spaces, reversible with `unescapeKeyField`. */
export function keyField(s: string): string {
  return s.replace(/[^\x21-\x5b\x5d-\x7e]/g, (c) => (c === '\\' ? '\\\\' : hex4(c)));
}

export function unescapeKeyField(s: string): string {
  return s.replace(/\\(\\|u[0-9a-f]{4})/g, (_, e: string) => (e === '\\' ? '\\' : String.fromCharCode(parseInt(e.slice(1), 16))));
}

/** A key from fields (each escaped here). */
export function makeKey(...fields: string[]): string {
  return fields.map(keyField).join(' ');
}

/** The fields of a key made by `makeKey`. */
export function keyFields(key: string): string[] {
  return key.split(' ').map(unescapeKeyField);
}

/** A non-negative safe integer as 16 digits, so that byte order is numeric order. */
export function fixed(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new MrError(MrErrorCode.BAD_LINE, `${n} cannot go into a key: only non-negative integers up to 2^53 have a fixed-width form`);
  return String(n).padStart(16, '0');
}

/** JSON in printable ASCII: non-ASCII (and DEL) as \uXXXX escapes. */
export function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[\u007f-\uffff]/g, hex4);
}

/** A `key<TAB>value` line split at its first tab; a line with no tab is all key (as Hadoop reads it). */
export function splitLine(line: string): [key: string, value: string] {
  const tab = line.indexOf('\t');
  return tab < 0 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)];
}
