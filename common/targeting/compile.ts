import { TargetingError } from './errors.js';
import { FIELD_KINDS } from './fields.js';
import { parseTargeting, type FieldRef, type Node } from './parser.js';
import { compareVersionTo, splitVersion, type TargetingContext } from './request-context.js';

/** A targeting expression compiled once into a predicate that is cheap to call per request. */
type CompiledTargeting = {
  readonly source: string;
  readonly ast: Node;
  /** The fields the expression reads: 'country', 'kv.genre', ... */
  readonly fields: Set<string>;
  test(ctx: TargetingContext): boolean;
};

/** A compiled sub-expression: JS source, a rough cost to order and/or operands by, and its value if constant. */
interface Part {
  code: string;
  cost: number;
  constant?: boolean;
}

const constant = (value: boolean): Part => ({ code: String(value), cost: 0, constant: value });

/** A JS literal for a value that came from the targeting source: always JSON-escaped, never spliced raw. */
const lit = (v: string | number): string => {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  return JSON.stringify(v);
};

/**
 * Turns a checked syntax tree into the body of one JS function of the context `c`. Only three
 * kinds of text reach the generated code: fixed operators, field names from the fixed list
 * (checked again here), and literals through JSON.stringify. Sets, regular expressions and
 * split versions are passed in as parameters k0, k1, ... that the function closes over.
 */
class Generator {
  readonly consts: unknown[] = [];
  /** kv key -> name of the local holding its text (or undefined). */
  readonly kvLocals = new Map<string, string>();

  private constant(value: unknown): string {
    this.consts.push(value);
    return `k${this.consts.length - 1}`;
  }

  /** The expression reading a field: c.<name> for built-in fields, a local for kv.<name>. */
  private read(field: FieldRef): string {
    if (field.key === undefined) {
      if (!/^[a-z_]+$/.test(field.name) || !Object.hasOwn(FIELD_KINDS, field.name)) throw new Error(`not a targeting field: ${field.name}`);
      return `c.${field.name}`;
    }
    let local = this.kvLocals.get(field.key);
    if (local === undefined) this.kvLocals.set(field.key, (local = `v${this.kvLocals.size}`));
    return local;
  }

  part(node: Node): Part {
    switch (node.type) {
      case 'bool':
        return constant(node.value);
      case 'not': {
        const inner = this.part(node.operand);
        return inner.constant !== undefined ? constant(!inner.constant) : { code: `!${inner.code}`, cost: inner.cost };
      }
      case 'and':
      case 'or':
        return this.combine(node.type, node.items);
      case 'compare': {
        const x = this.read(node.field);
        const op = node.op === '==' ? '===' : node.op === '!=' ? '!==' : node.op;
        if (node.field.kind === 'version') return { code: `(cmp(${x}, ${this.constant(splitVersion(node.value as string))}) ${op} 0)`, cost: 4 };
        return { code: `(${x} ${op} ${lit(node.value)})`, cost: 1 };
      }
      case 'in': {
        const x = this.read(node.field);
        const not = node.negated ? '!' : '';
        if (node.field.kind === 'version') {
          const any = node.values.map((v) => `cmp(${x}, ${this.constant(splitVersion(v as string))}) === 0`);
          return { code: `${not}(${any.join(' || ')})`, cost: 4 * any.length };
        }
        return { code: `${not}${this.constant(new Set(node.values))}.has(${x})`, cost: 2 };
      }
      case 'range': {
        const x = this.read(node.field);
        return { code: `(${x} >= ${lit(node.min)} && ${x} <= ${lit(node.max)})`, cost: 1 };
      }
      case 'matches': {
        const x = this.read(node.field);
        const re = this.constant(new RegExp(node.pattern)); // no g/y flag: test() keeps no state between calls
        return { code: node.field.key === undefined ? `${re}.test(${x})` : `(${x} !== undefined && ${re}.test(${x}))`, cost: 20 };
      }
    }
  }

  private combine(type: 'and' | 'or', items: readonly Node[]): Part {
    const isAnd = type === 'and';
    const parts: Part[] = [];
    for (const item of items) {
      const p = this.part(item);
      if (p.constant === undefined) parts.push(p);
      else if (p.constant !== isAnd) return constant(!isAnd); // false in an and, true in an or
    }
    if (parts.length === 0) return constant(isAnd);
    const [only] = parts;
    if (parts.length === 1 && only !== undefined) return only;
    parts.sort((a, b) => a.cost - b.cost); // no side effects anywhere, so cheap tests go first
    return { code: `(${parts.map((p) => p.code).join(isAnd ? ' && ' : ' || ')})`, cost: parts.reduce((sum, p) => sum + p.cost, 0) };
  }

  /** The predicate: one generated function, with kv values read once into locals. */
  build(node: Node): (ctx: TargetingContext) => boolean {
    const expr = this.part(node).code;
    const locals = [...this.kvLocals].map(([key, local]) => `const ${local} = typeof kv[${lit(key)}] === 'string' ? kv[${lit(key)}] : undefined;\n`);
    const body = `'use strict';\nreturn function targeting(c) {\n${locals.length ? `const kv = c.kv;\n${locals.join('')}` : ''}return ${expr};\n};`;
    const params = this.consts.map((_, i) => `k${i}`);
    return new Function('cmp', ...params, body)(compareVersionTo, ...this.consts) as (ctx: TargetingContext) => boolean;
  }
}

function collectFields(node: Node, into: Set<string>): Set<string> {
  switch (node.type) {
    case 'and':
    case 'or':
      for (const item of node.items) collectFields(item, into);
      break;
    case 'not':
      collectFields(node.operand, into);
      break;
    case 'bool':
      break;
    default:
      into.add(node.field.name);
  }
  return into;
}

/**
 * Compiles a targeting expression (see parseTargeting for the grammar) once into one
 * generated JS function: `in` lists become Sets, regular expressions and version literals
 * are prepared, constant parts are folded and and/or operands are reordered cheapest first.
 * Empty or whitespace-only source matches every request. Throws TargetingError, with the
 * position of the first problem.
 */
export function compileTargeting(source: string): CompiledTargeting {
  const ast = parseTargeting(source);
  const test = new Generator().build(ast);
  return { source, ast, fields: collectFields(ast, new Set()), test };
}

/** Save-time validation for the admin UI and API: the first problem, if any, and where it is. */
export function checkTargeting(source: string): { ok: true } | { ok: false; message: string; position: number } {
  try {
    parseTargeting(source);
    return { ok: true };
  } catch (err) {
    if (err instanceof TargetingError) return { ok: false, message: err.message, position: err.position };
    throw err;
  }
}
