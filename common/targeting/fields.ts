import { TargetingError } from './errors.js';

/** How a field's values are compared: as text, as versions ("9" < "10"), or as numbers. kv.* fields are text. */
export type FieldKind = 'text' | 'version' | 'number';

/** The fields of a TargetingContext an expression can read (kv.<name> aside). */
export const FIELD_KINDS: Readonly<Record<string, FieldKind>> = Object.freeze({
  platform: 'text',
  os_version: 'version',
  app_version: 'version',
  device_model: 'text',
  screen_w: 'number',
  screen_h: 'number',
  country: 'text',
  region: 'text',
  hour: 'number',
  weekday: 'text',
});

const WEEKDAYS: readonly string[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A field as written in an expression, resolved. */
export interface FieldRef {
  /** 'country', or 'kv.genre' for a custom key-value. */
  readonly name: string;
  readonly kind: FieldKind;
  /** The key-value name for kv.<name> fields (case kept as written). */
  readonly key?: string;
  readonly pos: number;
}

/** Edit distance counting a swap of two neighbouring letters as one edit ("adn" -> "and"). */
function distance(a: string, b: string): number {
  // One flat row-major table, (a.length + 1) x (b.length + 1); cells read outside it count as 0.
  const w = b.length + 1;
  const d = new Array<number>((a.length + 1) * w).fill(0);
  const at = (i: number, j: number): number => d[i * w + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * w] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * w + j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate to a misspelt word, if one is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Math.max(1, Math.min(3, Math.floor(w.length / 3)));
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d === 0) return c;
    if (d <= bestD) [best, bestD] = [c, d - 1e-9];
  }
  return best;
}

const KV_KEY = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Resolves a field name (built-in names are case-insensitive, kv key names are not). */
export function resolveField(word: string, pos: number): FieldRef {
  const lower = word.toLowerCase();
  const shown = word.length > 40 ? `${word.slice(0, 37)}...` : word;
  const kind = Object.hasOwn(FIELD_KINDS, lower) ? FIELD_KINDS[lower] : undefined;
  if (kind) return { name: lower, kind, pos };
  if (lower.startsWith('kv.')) {
    const key = word.slice(3);
    if (key === '') throw new TargetingError(`missing key name after "kv." at position ${pos} (write it like kv.genre)`, pos);
    if (!KV_KEY.test(key)) throw new TargetingError(`"${shown}" is not a valid key-value name at position ${pos} (use letters, digits, _ - and ., like kv.genre)`, pos);
    return { name: `kv.${key}`, kind: 'text', key, pos };
  }
  if (lower === 'kv') throw new TargetingError(`"kv" needs a key name at position ${pos} (write it like kv.genre)`, pos);
  const guess = suggest(lower.includes('.') ? lower.slice(0, lower.indexOf('.')) : lower, Object.keys(FIELD_KINDS));
  const hint = guess
    ? `did you mean "${guess}"?`
    : `known fields are ${Object.keys(FIELD_KINDS).join(', ')}; custom key-values are written kv.<name>, like kv.${shown}`;
  throw new TargetingError(`unknown field "${shown}" at position ${pos} (${hint})`, pos);
}

/** A literal as the parser read it. */
export interface RawLiteral {
  readonly kind: 'string' | 'number';
  /** Strings: the unescaped value. Numbers: the digits as written, e.g. "16.1.2". */
  readonly value: string;
  /** The literal as written, for messages. */
  readonly text: string;
  readonly pos: number;
}

const show = (lit: RawLiteral): string => (lit.text.length > 40 ? `${lit.text.slice(0, 37)}...` : lit.text);

/**
 * Checks that a literal suits a field and returns the value the compiled predicate compares
 * with: numbers for number fields, version text for version fields, text otherwise.
 */
export function checkValue(field: FieldRef, lit: RawLiteral): string | number {
  const at = `at position ${lit.pos}`;
  if (field.kind === 'number') {
    if (lit.kind === 'string') throw new TargetingError(`${field.name} needs a number, not the text ${show(lit)}, ${at} (write it without quotes, like ${field.name === 'hour' ? '9' : '1080'})`, lit.pos);
    const num = Number(lit.value);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(lit.value) || !Number.isFinite(num)) throw new TargetingError(`${show(lit)} is not a number ${at} (only os_version and app_version take several dots)`, lit.pos);
    if (field.name === 'hour' && !(Number.isInteger(num) && num <= 23)) throw new TargetingError(`hour must be a whole number from 0 to 23 ${at}, not ${show(lit)}`, lit.pos);
    return num;
  }
  if (field.kind === 'version') {
    if (lit.value === '' || lit.value.split('.').includes('') || /\s/.test(lit.value)) {
      throw new TargetingError(`${show(lit)} is not a version ${at} (write numbers separated by dots, like "16.4")`, lit.pos);
    }
    return lit.value;
  }
  if (lit.kind === 'number') {
    if (field.key !== undefined) return lit.value; // key-values are text; kv.level == 3 means "3"
    throw new TargetingError(`${field.name} needs a text value in double quotes ${at}, not the number ${lit.text}`, lit.pos);
  }
  const v = lit.value;
  if (field.name === 'country' && !/^[A-Z]{2}$/.test(v)) {
    const fix = /^[A-Za-z]{2}$/.test(v) ? `did you mean "${v.toUpperCase()}"?` : 'use a 2-letter upper-case code, like "US"';
    throw new TargetingError(`${show(lit)} is not a country code ${at} (${fix})`, lit.pos);
  }
  if (field.name === 'weekday') {
    const lower = v.toLowerCase();
    if (WEEKDAYS.includes(lower)) return lower;
    const guess = WEEKDAYS.find((d) => lower.length >= 3 && lower.startsWith(d)) ?? suggest(lower, WEEKDAYS);
    const fix = guess ? `did you mean "${guess}"?` : `use one of ${WEEKDAYS.map((d) => `"${d}"`).join(', ')}`;
    throw new TargetingError(`${show(lit)} is not a weekday ${at} (${fix})`, lit.pos);
  }
  if (field.name === 'platform' && v !== v.toLowerCase()) {
    throw new TargetingError(`platform values are lower-case, ${show(lit)} never matches ${at} (did you mean "${v.toLowerCase()}"?)`, lit.pos);
  }
  return v;
}
