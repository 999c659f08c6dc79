import { TargetingError } from './errors.js';
import { checkValue, resolveField, suggest, type FieldRef, type RawLiteral } from './fields.js';
import { Lexer, type Token } from './lexer.js';

export type { FieldRef, FieldKind } from './fields.js';

type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * The syntax tree of a targeting expression, already type-checked: values are numbers for
 * number fields, version text for version fields, text otherwise. `pos` is where the node
 * starts in the source. Plain data, safe to JSON.stringify.
 */
export type Node =
  | { readonly type: 'bool'; readonly pos: number; readonly value: boolean }
  | { readonly type: 'and' | 'or'; readonly pos: number; readonly items: readonly Node[] }
  | { readonly type: 'not'; readonly pos: number; readonly operand: Node }
  | { readonly type: 'compare'; readonly pos: number; readonly field: FieldRef; readonly op: CompareOp; readonly value: string | number }
  | { readonly type: 'in'; readonly pos: number; readonly field: FieldRef; readonly negated: boolean; readonly values: readonly (string | number)[] }
  | { readonly type: 'range'; readonly pos: number; readonly field: FieldRef; readonly min: number; readonly max: number }
  | { readonly type: 'matches'; readonly pos: number; readonly field: FieldRef; readonly pattern: string };

/** How deeply parentheses and "not" may nest; deeper input is refused rather than overflowing the stack. */
const MAX_DEPTH = 64;

const OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'matches'];

/** Describes a token for "found ..." in messages. */
function found(t: Token): string {
  if (t.kind === 'eof') return 'the end of the expression';
  const text = t.text.length > 40 ? `${t.text.slice(0, 37)}...` : t.text;
  return t.kind === 'string' ? text : `"${text}"`;
}

/**
 * Parses a targeting expression into a checked syntax tree. Grammar, lowest precedence first
 * (keywords case-insensitive):
 *
 *   expr    := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | "true" | "false" | test
 *   test    := field (op value | ["not"] "in" "(" value ("," value)* ")" | "in" number ".." number | "matches" string)
 *   field   := platform | os_version | app_version | device_model | screen_w | screen_h
 *            | country | region | hour | weekday | kv.<name>
 *
 * An empty (or all-whitespace) source means "match everything". Throws TargetingError.
 */
export function parseTargeting(source: string): Node {
  return new Parser(source).parseAll();
}

class Parser {
  private readonly lex: Lexer;
  private depth = 0;

  constructor(source: string) {
    this.lex = new Lexer(source);
  }

  parseAll(): Node {
    if (this.lex.peek().kind === 'eof') return { type: 'bool', pos: 0, value: true };
    const node = this.parseOr();
    const t = this.lex.peek();
    if (t.kind === 'eof') return node;
    if (t.kind === ')') throw this.error(`unexpected ")" at position ${t.pos} (there is no "(" for it to close)`, t.pos);
    const guess = t.kind === 'word' ? suggest(t.text, ['and', 'or']) : undefined;
    throw this.error(`expected "and" or "or" at position ${t.pos}, found ${found(t)}${guess ? ` (did you mean "${guess}"?)` : ''}`, t.pos);
  }

  private error(message: string, pos: number): TargetingError {
    return new TargetingError(message, pos);
  }

  private isKeyword(word: string): boolean {
    const t = this.lex.peek();
    return t.kind === 'keyword' && t.text === word;
  }

  private parseOr(): Node {
    const first = this.parseAnd();
    if (!this.isKeyword('or')) return first;
    const items = [first];
    while (this.isKeyword('or')) {
      this.lex.next();
      items.push(this.parseAnd());
    }
    return { type: 'or', pos: first.pos, items };
  }

  private parseAnd(): Node {
    const first = this.parseUnary();
    if (!this.isKeyword('and')) return first;
    const items = [first];
    while (this.isKeyword('and')) {
      this.lex.next();
      items.push(this.parseUnary());
    }
    return { type: 'and', pos: first.pos, items };
  }

  private parseUnary(): Node {
    const t = this.lex.next();
    if (++this.depth > MAX_DEPTH) throw this.error(`expression nests too deeply at position ${t.pos} (at most ${MAX_DEPTH} levels of "(" and "not")`, t.pos);
    try {
      if (t.kind === 'keyword' && t.text === 'not') return { type: 'not', pos: t.pos, operand: this.parseUnary() };
      if (t.kind === 'keyword' && (t.text === 'true' || t.text === 'false')) return { type: 'bool', pos: t.pos, value: t.text === 'true' };
      if (t.kind === '(') {
        if (this.lex.peek().kind === ')') throw this.error(`empty parentheses at position ${t.pos} (put a condition inside, like (country == "US"))`, t.pos);
        const inner = this.parseOr();
        const close = this.lex.next();
        if (close.kind !== ')') {
          const andOr = close.kind === 'eof' ? '' : ` or "and"/"or"`;
          throw this.error(`expected ")"${andOr} at position ${close.pos} to close the "(" at position ${t.pos}, found ${found(close)}`, close.pos);
        }
        return inner;
      }
      if (t.kind === 'word') return this.parseTest(resolveField(t.text, t.pos));
      throw this.error(`expected a condition like country == "US" at position ${t.pos}, found ${found(t)}`, t.pos);
    } finally {
      this.depth--;
    }
  }

  private parseTest(field: FieldRef): Node {
    const t = this.lex.next();
    const pos = field.pos;
    if (t.kind === 'op') {
      const op = t.text as CompareOp;
      if (op !== '==' && op !== '!=' && field.kind === 'text') {
        throw this.error(`"${op}" does not work with ${field.name} at position ${t.pos} (text fields take ==, !=, in, not in and matches)`, t.pos);
      }
      const lit = this.literal(`after "${op}"`);
      return { type: 'compare', pos, field, op, value: checkValue(field, lit) };
    }
    if (t.kind === 'keyword' && t.text === 'not') {
      const inTok = this.lex.next();
      if (!(inTok.kind === 'keyword' && inTok.text === 'in')) {
        throw this.error(`expected "in" after "${field.name} not" at position ${inTok.pos}, found ${found(inTok)} (to negate a condition, write not before it: not ${field.name} == ...)`, inTok.pos);
      }
      return { type: 'in', pos, field, negated: true, values: this.list(field, true) };
    }
    if (t.kind === 'keyword' && t.text === 'in') {
      const next = this.lex.peek();
      if (next.kind === 'number' && field.kind === 'number') return this.range(field);
      return { type: 'in', pos, field, negated: false, values: this.list(field, false) };
    }
    if (t.kind === 'keyword' && t.text === 'matches') {
      if (field.kind === 'number') throw this.error(`"matches" does not work with the number field ${field.name} at position ${t.pos} (use ==, <, >= or in)`, t.pos);
      const lit = this.lex.next();
      if (lit.kind !== 'string') throw this.error(`expected a regular expression in double quotes after "matches" at position ${lit.pos}, found ${found(lit)}`, lit.pos);
      try {
        new RegExp(lit.value);
      } catch (err) {
        const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : String(err);
        throw this.error(`invalid regular expression at position ${lit.pos}: ${why}`, lit.pos);
      }
      return { type: 'matches', pos, field, pattern: lit.value };
    }
    const guess = t.kind === 'word' || t.kind === 'keyword' ? suggest(t.text, ['in', 'matches']) : undefined;
    throw this.error(
      `expected an operator (${OPERATORS.join(', ')}) after "${field.name}" at position ${t.pos}, found ${found(t)}${guess ? ` (did you mean "${guess}"?)` : ''}`,
      t.pos,
    );
  }

  /** A string or number literal; anything else is an error that says what it follows. */
  private literal(after: string): RawLiteral {
    const t = this.lex.next();
    if (t.kind === 'string' || t.kind === 'number') return { kind: t.kind, value: t.value, text: t.text, pos: t.pos };
    throw this.error(`expected a value ${after} at position ${t.pos}, found ${found(t)}`, t.pos);
  }

  /** ( value, value, ... ) after "in" / "not in". */
  private list(field: FieldRef, negated: boolean): (string | number)[] {
    const open = this.lex.next();
    const word = negated ? 'not in' : 'in';
    if (open.kind !== '(') {
      const example = field.kind === 'number' ? `(320, 480)${negated ? '' : ' or a range like 9..17'}` : field.name === 'country' ? '("US","CA")' : '("a","b")';
      throw this.error(`"${word}" needs a list like ${example} at position ${open.pos}`, open.pos);
    }
    const values: (string | number)[] = [];
    for (;;) {
      values.push(checkValue(field, this.literal(values.length === 0 ? `in the list after "${word}"` : 'after ","')));
      const t = this.lex.next();
      if (t.kind === ')') return values;
      if (t.kind !== ',') throw this.error(`expected "," or ")" in the list at position ${t.pos}, found ${found(t)}`, t.pos);
    }
  }

  /** A..B after "in", inclusive, for number fields. */
  private range(field: FieldRef): Node {
    const lo = this.literal('after "in"');
    const dots = this.lex.next();
    if (dots.kind !== '..') throw this.error(`"in" needs a list like (320, 480) or a range like 9..17 at position ${lo.pos}`, lo.pos);
    const hi = this.literal('after ".."');
    const min = checkValue(field, lo) as number;
    const max = checkValue(field, hi) as number;
    if (min > max) {
      const hint = field.name === 'hour' ? `; for hours across midnight write (hour in ${min}..23 or hour in 0..${max})` : '';
      throw this.error(`the range ${lo.text}..${hi.text} at position ${lo.pos} is empty (the first number must not be larger than the second${hint})`, lo.pos);
    }
    return { type: 'range', pos: field.pos, field, min, max };
  }
}
