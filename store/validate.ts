/**
 * Field checks for writes. Each check adds sentences to `problems`; a write with any problem
 * is refused with STORE_ERR_INVALID listing them all. Limits match the columns in
 * migrations.ts (VARCHAR(n) counts characters, TEXT holds 65,535 bytes in MySQL), so both
 * backends refuse the same input.
 */

import { CURRENCIES, PRICE_MODELS } from '../common/money.js';
import { parseVideoPayload } from '../common/video-payload.js';
import { MoneyProblem } from './errors.js';

const LONE_SURROGATE = /\p{Cs}/u;
const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const SIZE_RE = /^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$/;
const COUNTRY_RE = /^[A-Z]{2}$/;
const TEXT_MAX_BYTES = 65_535;
export const PAYLOAD_MAX_BYTES = 1 << 20;
export const HOUR_MS = 3_600_000;
/** The largest amount of money a field holds: a billion currency units, in micros. */
const MAX_MICROS = 1e15;

export class Checker {
  readonly problems: string[] = [];
  constructor(private readonly e: Record<string, unknown>) {}

  private fail(field: string, want: string): void {
    const v = this.e[field];
    const got = v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? typeof v;
    this.problems.push(`${field}: expected ${want}, got ${got}`);
  }

  private isText(v: unknown): v is string {
    return typeof v === 'string' && !LONE_SURROGATE.test(v);
  }

  /** An id: 1 to 64 of letters, digits, '_', '.', ':' or '-'. */
  id(field: string): this {
    const v = this.e[field];
    if (typeof v !== 'string' || !ID_RE.test(v)) this.fail(field, "an id of 1 to 64 letters, digits, '_', '.', ':' or '-'");
    return this;
  }

  /** A string of at most `max` characters (non-empty unless allowEmpty). */
  text(field: string, max = 255, allowEmpty = false): this {
    const v = this.e[field];
    if (!this.isText(v) || (!allowEmpty && v.trim() === '') || [...v].length > max) {
      this.fail(field, `${allowEmpty ? 'a' : 'a non-empty'} string of at most ${max} characters`);
    }
    return this;
  }

  /** A string of at most `maxBytes` UTF-8 bytes, empty allowed. */
  blob(field: string, maxBytes = TEXT_MAX_BYTES): this {
    const v = this.e[field];
    if (!this.isText(v) || Buffer.byteLength(v) > maxBytes) this.fail(field, `a string of at most ${maxBytes} bytes`);
    return this;
  }

  int(field: string, min = 0, max = Number.MAX_SAFE_INTEGER): this {
    const v = this.e[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.fail(field, `an integer from ${min} to ${max}`);
    return this;
  }

  number(field: string, min: number, max: number): this {
    const v = this.e[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) this.fail(field, `a number from ${min} to ${max}`);
    return this;
  }

  /** Money in micros: an integer from 0 to 10^15 (a billion currency units). Problem code STORE_ERR_BAD_AMOUNT. */
  money(field: string): this {
    const v = this.e[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_MICROS) this.coded(field, `an integer number of micros from 0 to ${MAX_MICROS}`, MoneyProblem.BAD_AMOUNT);
    return this;
  }

  /** An ISO 4217 code the store knows (common/money.ts CURRENCIES). Problem code STORE_ERR_BAD_CURRENCY. */
  currency(field: string): this {
    const v = this.e[field];
    if (typeof v !== 'string' || !Object.hasOwn(CURRENCIES, v)) this.coded(field, 'an ISO 4217 currency code such as USD, EUR or JPY', MoneyProblem.BAD_CURRENCY);
    return this;
  }

  /** cpm, cpc or flat. Problem code STORE_ERR_BAD_PRICE_MODEL. */
  priceModel(field: string): this {
    if (!PRICE_MODELS.includes(this.e[field] as never)) this.coded(field, `one of ${PRICE_MODELS.join(', ')}`, MoneyProblem.BAD_PRICE_MODEL);
    return this;
  }

  /** A share in basis points, 0 to 10,000. Problem code STORE_ERR_BAD_REV_SHARE. */
  revShare(field: string): this {
    const v = this.e[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 10_000) this.coded(field, 'basis points from 0 to 10000 (7000 = 70 %)', MoneyProblem.BAD_REV_SHARE);
    return this;
  }

  /** A problem that starts with its stable code, e.g. "STORE_ERR_BAD_CURRENCY currency: expected ...". */
  private coded(field: string, want: string, code: string): void {
    this.fail(field, want);
    this.problems.push(`${code} ${this.problems.pop()!}`);
  }

  oneOf(field: string, values: readonly string[]): this {
    if (!values.includes(this.e[field] as string)) this.fail(field, `one of ${values.join(', ')}`);
    return this;
  }

  /** A video creative's payload (common/video-payload.ts) when `kind` is video. */
  videoPayload(kind: string, payload: string): this {
    if (this.e[kind] !== 'video' || typeof this.e[payload] !== 'string') return this;
    const v = parseVideoPayload(this.e[payload] as string);
    if (typeof v === 'string') this.problems.push(`${payload}: ${v}`);
    return this;
  }

  /** "WxH", e.g. "320x50". */
  size(field: string): this {
    const v = this.e[field];
    if (typeof v !== 'string' || !SIZE_RE.test(v)) this.fail(field, 'a size WxH such as "320x50"');
    return this;
  }

  /** A flight: both integers >= 0 and end after start. */
  flight(start: string, end: string): this {
    const before = this.problems.length;
    this.int(start).int(end);
    if (this.problems.length === before && (this.e[end] as number) <= (this.e[start] as number)) {
      this.problems.push(`${end}: must be after ${start} (${String(this.e[start])}), got ${String(this.e[end])}`);
    }
    return this;
  }

  /** An array of at most `maxItems` non-empty strings of at most `maxLen` characters. */
  strings(field: string, maxItems: number, maxLen: number): this {
    const v = this.e[field];
    if (!Array.isArray(v) || v.length > maxItems || !v.every((s) => this.isText(s) && s !== '' && [...s].length <= maxLen)) {
      this.fail(field, `an array of at most ${maxItems} non-empty strings of at most ${maxLen} characters`);
    } else if (JSON.stringify(v).length > TEXT_MAX_BYTES) {
      this.fail(field, `at most ${TEXT_MAX_BYTES} bytes as JSON`);
    }
    return this;
  }

  /** null, or { "US": 0.6, "CA": 0.4 }: two-letter upper-case countries, shares in [0, 1] summing to at most 1. */
  countrySplit(field: string): this {
    const v = this.e[field];
    if (v === null) return this;
    const want = 'null or an object of two-letter upper-case countries to shares in [0, 1] that sum to at most 1';
    if (typeof v !== 'object' || v === undefined || Array.isArray(v)) {
      this.fail(field, want);
      return this;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    const ok = entries.length <= 300 && entries.every(([k, n]) => COUNTRY_RE.test(k) && typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1);
    if (!ok || entries.reduce((s, [, n]) => s + (n as number), 0) > 1 + 1e-9) this.fail(field, want);
    return this;
  }
}

export function check(e: object): Checker {
  return new Checker(e as Record<string, unknown>);
}
