// What the production code does with error codes, read from its source: which code
// literals it names, and which tier code-map keys (`E.BAD_BODY`) it uses. test/errors.test.ts
// holds these against the registry in common/error-codes.ts and the README.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, type ErrorCode } from '../../common/error-codes.js';

export const ROOT = new URL('../../..', import.meta.url).pathname;
const PRODUCTION = ['common', 'store', 'lake', 'sdk-mock', 'tracking', 'adserver', 'pipeline', 'jobs', 'reporting-ui', 'cli'];
const CODE = /'([A-Z]+_ERR_[A-Z_]+)'/g;
/** Codes that name a problem inside a STORE_ERR_INVALID's details, not an error of their own. */
const PROBLEM_MAPS = new Set(['MoneyProblem']);

function sources(dir: string, out: { path: string; text: string }[] = []): { path: string; text: string }[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push({ path: p.slice(ROOT.length), text: readFileSync(p, 'utf8') });
  }
  return out;
}

export interface CodeScan {
  /** Code literals named outside the registry and outside the code maps: thrown or answered directly. */
  named: Map<string, string[]>;
  /** Codes used through a code map key (`TrackingErrorCode.BUSY`, `E.BUSY`). */
  viaMap: Set<string>;
  /** Codes listed in a tier's code map. */
  mapped: Map<string, string>;
  /** Codes of problem maps (details, not errors). */
  problems: Set<string>;
}

export function scanCodes(): CodeScan {
  const files = PRODUCTION.flatMap((d) => sources(join(ROOT, d)));
  const maps = new Map<string, Map<string, string>>(); // map name → key → code
  const named = new Map<string, string[]>();
  const mapped = new Map<string, string>();
  const problems = new Set<string>();
  for (const f of files) {
    if (f.path === 'common/error-codes.ts') continue;
    let text = f.text;
    for (const m of f.text.matchAll(/export const (\w+) = \{([^}]*)\} as const/g)) {
      const entries = [...m[2]!.matchAll(/(\w+): '([A-Z]+_ERR_[A-Z_]+)'/g)];
      if (entries.length === 0) continue;
      const keys = new Map(entries.map((e) => [e[1]!, e[2]!]));
      maps.set(m[1]!, keys);
      for (const code of keys.values()) (PROBLEM_MAPS.has(m[1]!) ? problems.add(code) : mapped.set(code, f.path));
      text = text.replace(m[0], '');
    }
    for (const m of text.matchAll(CODE)) named.set(m[1]!, [...(named.get(m[1]!) ?? []), f.path]);
  }
  const viaMap = new Set<string>();
  for (const f of files) {
    for (const [name, keys] of maps) {
      const aliases = [name, ...[...f.text.matchAll(new RegExp(`\\b${name} as (\\w+)`, 'g'))].map((m) => m[1]!)];
      for (const a of aliases) for (const m of f.text.matchAll(new RegExp(`\\b${a}\\.([A-Z_]+)\\b`, 'g'))) {
        const code = keys.get(m[1]!);
        if (code !== undefined) viaMap.add(code);
      }
    }
  }
  return { named, viaMap, mapped, problems };
}

/** The README's error table, made from the registry. */
export function errorTable(): string {
  const rows = (Object.keys(ERRORS) as ErrorCode[]).map((c) => `| \`${c}\` | ${ERRORS[c].status} | ${ERRORS[c].message} |`);
  return ['| code | HTTP status | meaning (the default message) |', '|---|---|---|', ...rows].join('\n');
}

export const TABLE_START = '<!-- errors:start -->';
export const TABLE_END = '<!-- errors:end -->';
