import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors.js';

/** A command's options: a TypeBox object whose properties carry `default` and `description`. */
export interface CommandSpec<T extends TObject = TObject> {
  name: string;
  summary: string;
  schema: T;
  /** Checks across options or beyond the schema; returns problems as sentences. */
  refine?: (cfg: Static<T>) => string[];
  /** Arguments that are not options the command takes (`sluice jobs run events`): 0 when not given, so a stray word is an error, not ignored. */
  positionals?: number;
}

/** What help and the README tables read of a command: any command's spec is one, whatever its schema. */
export type CommandInfo = Pick<CommandSpec, 'name' | 'summary' | 'schema'>;

type Config<T extends TObject> = Readonly<Static<T>> & { readonly positionals: readonly string[] };

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
export const envName = (key: string): string => `SLUICE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

function isBoolean(s: TSchema): boolean {
  return s.type === 'boolean';
}

/**
 * Reads a command's options from flags (`--dup-rate 0.1`, `--dup-rate=0.1`, `--progress`,
 * `--no-progress`) over `SLUICE_*` variables over defaults, validates them once, and
 * returns them frozen. Every problem is collected into one ConfigError.
 */
export function loadConfig<T extends TObject>(spec: CommandSpec<T>, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config<T> {
  const props = spec.schema.properties as Record<string, TSchema>;
  const byFlag = new Map<string, { key: string; schema: TSchema }>();
  for (const [key, schema] of Object.entries(props)) byFlag.set(kebab(key), { key, schema });
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};
  const where: Record<string, string> = {};

  for (const key of Object.keys(props)) {
    const v = env[envName(key)];
    if (v !== undefined && v !== '') {
      raw[key] = v;
      where[key] = envName(key);
    }
  }

  const positionals: string[] = [];
  const rest = [...argv];
  for (let arg = rest.shift(); arg !== undefined; arg = rest.shift()) {
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let negated = false;
    if (!byFlag.has(name) && name.startsWith('no-') && byFlag.has(name.slice(3))) {
      name = name.slice(3);
      negated = true;
    }
    const flag = byFlag.get(name);
    if (flag === undefined) {
      problems.push(`unknown option --${name}`);
      continue;
    }
    const { key, schema } = flag;
    where[key] = `--${name}`;
    if (isBoolean(schema)) {
      raw[key] = negated ? false : eq === -1 ? true : arg.slice(eq + 1);
    } else if (eq !== -1) {
      raw[key] = arg.slice(eq + 1);
    } else if (rest.length > 0) {
      raw[key] = rest.shift();
    } else {
      problems.push(`--${name} needs a value`);
    }
  }

  const allowed = spec.positionals ?? 0;
  for (const extra of positionals.slice(allowed)) {
    problems.push(`unexpected argument ${JSON.stringify(extra)}: options are --name value (or --name=value), booleans --name or --no-name`);
  }
  return validated(spec, raw, problems, (key) => {
    const from = where[key];
    const label = from?.startsWith('SLUICE_') ? `--${kebab(key)} (${from})` : `--${kebab(key)}`;
    return raw[key] !== undefined ? `${label}: %s, got ${JSON.stringify(raw[key])}` : `${label}: %s`;
  }, positionals);
}

/**
 * A command's options composed in code (the demo starts every tier so): a typed object over
 * the defaults, validated by the same schema and refinements as flags, and frozen.
 */
export function configFrom<T extends TObject>(spec: CommandSpec<T>, options: Partial<Static<T>>): Config<T> {
  return validated(spec, { ...options }, [], (key) => `--${kebab(key)}: %s, got ${JSON.stringify((options as Record<string, unknown>)[key])}`, []);
}

/** Defaults, conversion, schema and refinements over raw values: every problem in one ConfigError. */
function validated<T extends TObject>(spec: CommandSpec<T>, raw: Record<string, unknown>, problems: string[], label: (key: string) => string, positionals: string[]): Config<T> {
  const converted = Value.Convert(spec.schema, Value.Default(spec.schema, raw)) as Record<string, unknown>;
  for (const err of Value.Errors(spec.schema, converted)) {
    const key = err.path.split('/')[1] ?? '';
    const why = err.message.toLowerCase();
    problems.push(key ? label(key).replace('%s', () => why) : `(options): ${why}`);
  }
  if (spec.refine) {
    // Refinements run even when other options are wrong, so one message lists every problem.
    try {
      problems.push(...spec.refine(converted as Static<T>));
    } catch {
      /* a refinement tripped over a value the schema already reported */
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, spec.name);
  return Object.freeze({ ...converted, positionals: Object.freeze(positionals) }) as Config<T>;
}

/** The options of a command as a Markdown table (the README's option tables are made from this). */
export function optionsMarkdown(spec: CommandInfo): string {
  const rows = ['| option | environment | default | meaning |', '|---|---|---|---|'];
  for (const [key, s] of Object.entries(spec.schema.properties as Record<string, TSchema>)) {
    const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    rows.push(`| \`--${kebab(key)}\` | \`${envName(key)}\` | ${def} | ${String(s.description ?? '').replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

/** The options of a command as plain text for `--help`. */
export function optionsHelp(spec: CommandInfo): string {
  const lines = [`sluice ${spec.name}: ${spec.summary}`, '', 'options (each also as SLUICE_* environment variable):'];
  for (const [key, s] of Object.entries(spec.schema.properties as Record<string, TSchema>)) {
    const def = s.default === undefined ? '' : ` (default ${JSON.stringify(s.default)})`;
    lines.push(`  --${kebab(key).padEnd(20)} ${s.description ?? ''}${def}`);
  }
  return lines.join('\n');
}

/** The log level option every command has. */
export const logLevelOption = Type.Union([Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'), Type.Literal('debug'), Type.Literal('silent')], { default: 'info', description: 'log level' });
