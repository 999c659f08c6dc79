import { TargetingError } from './errors.js';

type TokenKind = 'word' | 'keyword' | 'string' | 'number' | 'op' | '(' | ')' | ',' | '..' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token; for keywords lower-cased. */
  readonly text: string;
  /** For strings: the value with escapes resolved; otherwise the same as text. */
  readonly value: string;
  /** 0-based offset of the token's first character. */
  readonly pos: number;
}

/** Words that are part of the language, matched case-insensitively. */
const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'matches', 'true', 'false']);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWordChar = (c: number): boolean => isWordStart(c) || isDigit(c);
/** Characters allowed after the first dot of a dotted name such as kv.ad-slot.v2. */
const isKeyChar = (c: number): boolean => isWordChar(c) || c === 45 || c === 46;

/** Hints for characters that people type from other languages or word processors. */
const HINTS: Record<string, string> = {
  '=': 'use "==" to compare',
  '&': 'use "and"',
  '|': 'use "or"',
  '!': 'use "not", or "!=" for "is not equal"',
  "'": 'text values use double quotes, like "US"',
  '\u201c': 'use straight double quotes (") around text values',
  '\u201d': 'use straight double quotes (") around text values',
  '\u2018': 'text values use straight double quotes, like "US"',
  '\u2019': 'text values use straight double quotes, like "US"',
  '.': 'numbers are written like 0.5, ranges like 9..17',
};

/**
 * Turns the source into tokens one at a time, so the first problem in reading order is the
 * one reported. Whitespace separates tokens and is otherwise ignored.
 */
export class Lexer {
  readonly source: string;
  private i = 0;
  private peeked: Token | undefined;

  constructor(source: string) {
    this.source = source;
  }

  peek(): Token {
    return (this.peeked ??= this.read());
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private read(): Token {
    const src = this.source;
    const n = src.length;
    let i = this.i;
    while (i < n && /\s/.test(src.charAt(i))) i++;
    const start = i;
    const tok = (kind: TokenKind, end: number, value?: string): Token => {
      this.i = end;
      const text = src.slice(start, end);
      return { kind, text, value: value ?? text, pos: start };
    };
    if (i >= n) return tok('eof', n);
    const c = src.charCodeAt(i);
    const ch = src.charAt(i); // i < n here
    if (ch === '(' || ch === ')' || ch === ',') return tok(ch, i + 1);
    if (ch === '"') return this.readString(start);
    if (isDigit(c)) {
      i++;
      while (i < n && (isDigit(src.charCodeAt(i)) || (src[i] === '.' && isDigit(src.charCodeAt(i + 1))))) i++;
      return tok('number', i);
    }
    if (isWordStart(c)) {
      i++;
      while (i < n && isWordChar(src.charCodeAt(i))) i++;
      if (src[i] === '.' && src[i + 1] !== '.') while (i < n && isKeyChar(src.charCodeAt(i))) i++;
      const word = src.slice(start, i);
      const lower = word.toLowerCase();
      if (KEYWORDS.has(lower)) {
        this.i = i;
        return { kind: 'keyword', text: lower, value: lower, pos: start };
      }
      return tok('word', i);
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') return tok('op', i + 2);
    if (ch === '<' || ch === '>') return tok('op', i + 1);
    if (two === '..') return tok('..', i + 2);
    const shown = two === '&&' || two === '||' ? two : String.fromCodePoint(src.codePointAt(i) ?? c);
    const hint = HINTS[ch];
    throw new TargetingError(`unexpected ${JSON.stringify(shown)} at position ${start}${hint ? ` (${hint})` : ''}`, start);
  }

  /** Reads "...", where \" and \\ are the only escapes. */
  private readString(start: number): Token {
    const src = this.source;
    let value = '';
    let i = start + 1;
    let from = i;
    for (;;) {
      if (i >= src.length) throw new TargetingError(`unterminated string at position ${start} (add the closing ")`, start);
      const ch = src[i];
      if (ch === '"') break;
      if (ch === '\\') {
        const esc = src[i + 1];
        if (esc !== '"' && esc !== '\\') {
          if (esc === undefined) throw new TargetingError(`unterminated string at position ${start} (add the closing ")`, start);
          throw new TargetingError(`unknown escape "\\${esc}" at position ${i} (only \\" and \\\\ can be escaped in text values)`, i);
        }
        value += src.slice(from, i) + esc;
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    value += src.slice(from, i);
    this.i = i + 1;
    return { kind: 'string', text: src.slice(start, i + 1), value, pos: start };
  }
}
