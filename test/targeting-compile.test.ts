import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileTargeting } from '../common/targeting/compile.js';
import type { Node } from '../common/targeting/parser.js';
import { compareVersions, type TargetingContext } from '../common/targeting/request-context.js';

/** A slow, obviously-right interpreter of the checked tree, to hold the generated code to. */
function reference(n: Node, c: TargetingContext): boolean {
  switch (n.type) {
    case 'bool': return n.value;
    case 'and': return n.items.every((i) => reference(i, c));
    case 'or': return n.items.some((i) => reference(i, c));
    case 'not': return !reference(n.operand, c);
  }
  const f = n.field;
  const raw: unknown = f.key !== undefined ? (Object.hasOwn(c.kv, f.key) ? c.kv[f.key] : undefined) : c[f.name as keyof TargetingContext];
  const same = (v: string | number): boolean => (f.kind === 'version' ? compareVersions(raw as string, v as string) === 0 : raw === v);
  switch (n.type) {
    case 'compare': {
      if (f.kind === 'text') return same(n.value) === (n.op === '==');
      const d = f.kind === 'version' ? compareVersions(raw as string, n.value as string) : (raw as number) - (n.value as number);
      return { '==': d === 0, '!=': d !== 0, '<': d < 0, '<=': d <= 0, '>': d > 0, '>=': d >= 0 }[n.op];
    }
    case 'in': return n.values.some(same) !== n.negated;
    case 'range': return (raw as number) >= n.min && (raw as number) <= n.max;
    case 'matches': return typeof raw === 'string' && new RegExp(n.pattern).test(raw);
  }
}

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEAVES = [
  'platform == "ios"', 'platform != "android"', 'os_version >= "16"', 'os_version < 15.1', 'os_version == "17.0"', 'app_version in ("3.2", "1")',
  'app_version not in ("3.2.0")', 'country in ("US","CA")', 'country not in ("CN")', 'screen_w >= 1080', 'screen_h < 2000', 'hour in 9..17',
  'hour in (0, 23)', 'weekday == "sat"', 'kv.genre != "puzzle"', 'kv.genre in ("puzzle", "racing")', 'kv.level == 3', 'kv.genre matches "^p"',
  'device_model matches "^SM-"', 'region == "CA"', 'true', 'false',
];

describe('compiled targeting', () => {
  test('agrees with a reference interpreter on 400 random expressions and 30 random requests each', () => {
    const rnd = prng(1234);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const gen = (depth: number): string => {
      const r = rnd();
      if (depth === 0 || r < 0.3) return pick(LEAVES);
      if (r < 0.45) return `${pick(['not', 'NOT', 'Not'])} ${gen(depth - 1)}`;
      const items = Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => gen(depth - 1));
      const joined = items.join(` ${pick(['and', 'or', 'AND', 'Or'])} `);
      return rnd() < 0.6 ? `(${joined})` : joined;
    };
    const request = (): TargetingContext => ({
      platform: pick(['ios', 'android']), os_version: pick(['15', '15.1', '15.10', '16', '16.0.1', '17.0', '9', '']), app_version: pick(['3.2', '3.2.0', '1.0', '3.10']),
      device_model: pick(['SM-G991B', 'iPhone15,2', 'Pixel 7']), screen_w: pick([720, 1080, 1179]), screen_h: pick([1600, 2000, 2556]),
      country: pick(['US', 'CA', 'CN', 'DE']), region: pick(['CA', 'ON', '']), hour: Math.floor(rnd() * 24), weekday: pick(['mon', 'sat', 'sun']),
      kv: pick<Record<string, string>>([{}, { genre: 'puzzle' }, { genre: 'racing', level: '3' }, { level: '30' }]),
    });
    for (let i = 0; i < 400; i++) {
      const src = gen(4);
      const c = compileTargeting(src);
      for (let j = 0; j < 30; j++) {
        const r = request();
        assert.equal(c.test(r), reference(c.ast, r), `${src} on ${JSON.stringify(r)}`);
      }
    }
  });

  test('literals reach the generated code only as data', () => {
    const quote = (v: string): string => `"${v.replace(/[\\"]/g, '\\$&')}"`; // into the targeting language
    const value = `"); globalThis.pwned = 1; ("\u2028\${x}</script>\\'\n`;
    const pattern = '\\); globalThis.pwned = 2; //';
    const c = compileTargeting(`kv.q == ${quote(value)} or device_model matches ${quote(pattern)}`);
    assert.equal(c.test({ ...ctxBase, kv: { q: value } }), true);
    assert.equal(c.test({ ...ctxBase, kv: { q: 'x' } }), false);
    assert.equal(c.test({ ...ctxBase, device_model: '); globalThis.pwned = 2; //' }), true);
    assert.equal((globalThis as Record<string, unknown>).pwned, undefined);
  });
});

const ctxBase: TargetingContext = {
  platform: 'ios', os_version: '16.4', app_version: '3.2.0', device_model: 'iPhone15,2', screen_w: 1179, screen_h: 2556,
  country: 'US', region: 'CA', kv: {}, hour: 10, weekday: 'sat',
};
