import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../common/errors.js';
import { checkTargeting, compileTargeting } from '../common/targeting/compile.js';
import { TargetingError } from '../common/targeting/errors.js';
import type { Node } from '../common/targeting/parser.js';
import { compareVersions, type TargetingContext } from '../common/targeting/request-context.js';

const base: TargetingContext = {
  platform: 'ios', os_version: '16.4', app_version: '3.2.0', device_model: 'iPhone15,2', screen_w: 1179, screen_h: 2556,
  country: 'US', region: 'CA', kv: { genre: 'puzzle' }, hour: 10, weekday: 'sat',
};
const ctx = (over: Partial<TargetingContext> = {}): TargetingContext => ({ ...base, ...over });
const run = (source: string, over: Partial<TargetingContext> = {}): boolean => compileTargeting(source).test(ctx(over));

/** Asserts that the source is refused with exactly this message, which names this position. */
function refuses(source: string, position: number, message: string): void {
  assert.deepEqual(checkTargeting(source), { ok: false, message, position }, source);
  assert.throws(() => compileTargeting(source), (err: unknown) => err instanceof TargetingError && err.position === position && err.message === message);
  assert.ok(message.includes(`at position ${position}`), message);
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('targeting expressions', () => {
  const ex1 = 'platform == "ios" and os_version >= "16" and country in ("US","CA")';
  const ex2 = 'not (country in ("CN")) and (screen_w >= 1080 or device_model matches "^SM-")';
  const ex3 = 'kv.genre == "puzzle" and hour in 9..17 and weekday in ("sat","sun")';

  test('the platform, version and country example matches and refuses the right devices', () => {
    assert.equal(run(ex1), true);
    assert.equal(run(ex1, { country: 'CA', os_version: '16' }), true);
    assert.equal(run(ex1, { platform: 'android' }), false);
    assert.equal(run(ex1, { os_version: '15.7.9' }), false);
    assert.equal(run(ex1, { country: 'DE' }), false);
  });

  test('the not, screen and device model example matches and refuses the right devices', () => {
    assert.equal(run(ex2), true);
    assert.equal(run(ex2, { platform: 'android', device_model: 'SM-G991B', screen_w: 720 }), true);
    assert.equal(run(ex2, { country: 'CN' }), false);
    assert.equal(run(ex2, { device_model: 'Pixel 7', screen_w: 720 }), false);
  });

  test('the key-value, hour range and weekday example matches and refuses the right requests', () => {
    assert.equal(run(ex3), true);
    for (const hour of [9, 17]) assert.equal(run(ex3, { hour, weekday: 'sun' }), true, `hour ${hour}`);
    for (const hour of [8, 18]) assert.equal(run(ex3, { hour }), false, `hour ${hour}`);
    assert.equal(run(ex3, { weekday: 'mon' }), false);
    assert.equal(run(ex3, { kv: { genre: 'racing' } }), false);
    assert.equal(run(ex3, { kv: {} }), false);
    assert.deepEqual([...compileTargeting(ex3).fields].sort(), ['hour', 'kv.genre', 'weekday']);
  });

  test('and binds tighter than or, not tighter than and, and keywords ignore case', () => {
    const android = { platform: 'android', country: 'US' };
    assert.equal(run('platform == "android" or platform == "ios" and country == "CA"', android), true);
    assert.equal(run('(platform == "android" or platform == "ios") and country == "CA"', android), false);
    const ast = compileTargeting('platform == "android" or platform == "ios" and country == "CA"').ast;
    assert.equal(ast.type, 'or');
    assert.deepEqual(ast.type === 'or' && ast.items.map((n: Node) => n.type), ['compare', 'and']);
    assert.equal(run('not platform == "android" and country == "CA"'), false); // (not a) and b, not not (a and b)
    assert.equal(run('not (platform == "android" and country == "CA")'), true);
    assert.equal(run('true or false and false'), true);
    assert.equal(run('PLATFORM == "ios" AND Country In ("US") Or FALSE'), true);
  });

  test('not, not not and not in negate', () => {
    assert.equal(run('not platform == "ios"'), false);
    assert.equal(run('not not platform == "ios"'), true);
    assert.equal(run('country not in ("CN", "RU")'), true);
    assert.equal(run('country not in ("CN", "US")'), false);
    assert.equal(run('not true'), false);
    assert.equal(run('false or not false'), true);
  });

  test('compares versions segment by segment as numbers', () => {
    assert.ok(compareVersions('16.1', '16') > 0);
    assert.ok(compareVersions('9', '10') < 0);
    assert.ok(compareVersions('10', '9') > 0);
    assert.ok(compareVersions('17.0.1', '17') > 0);
    assert.ok(compareVersions('16.10', '16.9') > 0);
    assert.ok(compareVersions('99999999999999999999.1', '99999999999999999999') > 0);
    assert.equal(compareVersions('16', '16.0.0'), 0);
    assert.equal(compareVersions('016.1', '16.01'), 0);
    assert.ok(compareVersions('1.a', '1.b') < 0);
    assert.ok(compareVersions('16', '16.1') < 0 && compareVersions('16.1', '17') < 0);
    const rnd = prng(7);
    const pick = (): string => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => ['0', '1', '9', '10', '01', 'b', ''][Math.floor(rnd() * 7)]).join('.');
    for (let i = 0; i < 500; i++) {
      const [a, b] = [pick(), pick()];
      assert.equal(Math.sign(compareVersions(a, b)), -Math.sign(compareVersions(b, a)) || 0, `${a} vs ${b}`);
    }
  });

  test('version fields use version order with text or number values', () => {
    assert.equal(run('os_version >= "16"', { os_version: '16.1' }), true);
    assert.equal(run('os_version < 10', { os_version: '9' }), true);
    assert.equal(run('os_version > "17"', { os_version: '17.0.1' }), true);
    assert.equal(run('os_version >= 16.1', { os_version: '16.10' }), true);
    assert.equal(run('os_version == 16', { os_version: '16.0' }), true);
    assert.equal(run('app_version != "3.2"'), false);
    assert.equal(run('app_version in ("3.1", "3.2")'), true);
    assert.equal(run('app_version not in (3, "3.2.0.0")'), false);
    assert.equal(run('os_version matches "^16\\\\."'), true);
  });

  test('ranges and number lists include both ends', () => {
    for (const [hour, want] of [[8, false], [9, true], [13, true], [17, true], [18, false]] as const) assert.equal(run('hour in 9..17', { hour }), want);
    assert.equal(run('screen_w in 720..1080', { screen_w: 1080 }), true);
    assert.equal(run('screen_h in 0..0', { screen_h: 0 }), true);
    assert.equal(run('hour in (9, 12, 20)', { hour: 12 }), true);
    assert.equal(run('screen_h not in (2556)'), false);
    assert.equal(run('screen_w > 1178.5 and screen_h <= 2556'), true);
  });

  test('a key-value the request did not send makes comparisons false and != true', () => {
    const none = { kv: {} };
    assert.equal(run('kv.genre == "puzzle"', none), false);
    assert.equal(run('kv.genre != "puzzle"', none), true);
    assert.equal(run('kv.genre in ("puzzle")', none), false);
    assert.equal(run('kv.genre not in ("puzzle")', none), true);
    assert.equal(run('kv.genre matches ""', none), false);
    assert.equal(run('kv.constructor == "x" or kv.toString matches "."'), false);
    assert.equal(run('kv.level == 3', { kv: { level: '3' } }), true);
    assert.equal(run('kv.Genre == "puzzle"'), false, 'key names keep their case');
    assert.equal(run('kv.ad-slot.v2 == "top"', { kv: { 'ad-slot.v2': 'top' } }), true);
  });

  test('matches searches with the regular expression and text values take escapes', () => {
    assert.equal(run('device_model matches "^iPhone"'), true);
    assert.equal(run('device_model matches "^SM-"'), false);
    assert.equal(run(String.raw`device_model matches "^iPhone\\d+,\\d$"`), true);
    assert.equal(run(String.raw`kv.title == "say \"hi\" \\o/"`, { kv: { title: 'say "hi" \\o/' } }), true);
    const c = compileTargeting('device_model matches "1"');
    for (let i = 0; i < 3; i++) assert.equal(c.test(base), true, 'no state kept between calls');
  });

  test('an empty or blank expression matches everything', () => {
    for (const src of ['', '  \n\t ']) {
      const c = compileTargeting(src);
      assert.equal(c.test(base), true);
      assert.equal(c.fields.size, 0);
      assert.deepEqual(c.ast, { type: 'bool', pos: 0, value: true });
      assert.deepEqual(checkTargeting(src), { ok: true });
    }
  });

  test('errors are TargetingErrors with code ADS_ERR_TARGETING, status 400 and a position', () => {
    try {
      compileTargeting('platform == ');
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof TargetingError && err instanceof SluiceError);
      assert.equal(err.code, 'ADS_ERR_TARGETING');
      assert.equal(err.statusCode, 400);
      assert.equal(err.name, 'TargetingError');
      assert.equal(err.position, 12);
    }
    assert.deepEqual(checkTargeting(ex1), { ok: true });
  });

  test('syntax errors point at the exact position with a message that says what to do', () => {
    refuses('platform == ', 12, 'expected a value after "==" at position 12, found the end of the expression');
    refuses('platform == and', 12, 'expected a value after "==" at position 12, found "and"');
    refuses('contry == "US"', 0, 'unknown field "contry" at position 0 (did you mean "country"?)');
    refuses('platform == "ios" and os_verison >= 16', 22, 'unknown field "os_verison" at position 22 (did you mean "os_version"?)');
    refuses('kv == "x"', 0, '"kv" needs a key name at position 0 (write it like kv.genre)');
    refuses('device_model == "abc', 16, 'unterminated string at position 16 (add the closing ")');
    refuses(String.raw`region == "a\nb"`, 12, String.raw`unknown escape "\n" at position 12 (only \" and \\ can be escaped in text values)`);
    refuses('country == "US" and device_model matches "(SM-"', 41, 'invalid regular expression at position 41: Unterminated group');
    refuses('country in "US"', 11, '"in" needs a list like ("US","CA") at position 11');
    refuses('hour in 9', 8, '"in" needs a list like (320, 480) or a range like 9..17 at position 8');
    refuses('country in ("US",)', 17, 'expected a value after "," at position 17, found ")"');
    refuses('country in ("US" "CA")', 17, 'expected "," or ")" in the list at position 17, found "CA"');
    refuses('platform = "ios"', 9, 'unexpected "=" at position 9 (use "==" to compare)');
    refuses('platform == "ios" && hour > 3', 18, 'unexpected "&&" at position 18 (use "and")');
    refuses("platform == 'ios'", 12, `unexpected "'" at position 12 (text values use double quotes, like "US")`);
    refuses('platform == "ios" adn hour > 3', 18, 'expected "and" or "or" at position 18, found "adn" (did you mean "and"?)');
    refuses('(platform == "ios"', 18, 'expected ")" at position 18 to close the "(" at position 0, found the end of the expression');
    refuses('platform == "ios")', 17, 'unexpected ")" at position 17 (there is no "(" for it to close)');
    refuses('country inn ("US")', 8, 'expected an operator (==, !=, <, <=, >, >=, in, not in, matches) after "country" at position 8, found "inn" (did you mean "in"?)');
    refuses('hour in 17..9', 8, 'the range 17..9 at position 8 is empty (the first number must not be larger than the second; for hours across midnight write (hour in 17..23 or hour in 0..9))');
    refuses('and', 0, 'expected a condition like country == "US" at position 0, found "and"');
    refuses('()', 0, 'empty parentheses at position 0 (put a condition inside, like (country == "US"))');
    refuses('('.repeat(200), 64, 'expression nests too deeply at position 64 (at most 64 levels of "(" and "not")');
  });

  test('type checks refuse values and operators that cannot work for the field', () => {
    refuses('screen_w >= "1080"', 12, 'screen_w needs a number, not the text "1080", at position 12 (write it without quotes, like 1080)');
    refuses('region == 5', 10, 'region needs a text value in double quotes at position 10, not the number 5');
    refuses('country < "US"', 8, '"<" does not work with country at position 8 (text fields take ==, !=, in, not in and matches)');
    refuses('kv.genre >= "a"', 9, '">=" does not work with kv.genre at position 9 (text fields take ==, !=, in, not in and matches)');
    refuses('hour == 24', 8, 'hour must be a whole number from 0 to 23 at position 8, not 24');
    refuses('hour in 9..24', 11, 'hour must be a whole number from 0 to 23 at position 11, not 24');
    refuses('hour matches "1"', 5, '"matches" does not work with the number field hour at position 5 (use ==, <, >= or in)');
    refuses('screen_w >= 16.1.2', 12, '16.1.2 is not a number at position 12 (only os_version and app_version take several dots)');
    refuses('os_version >= "16..1"', 14, '"16..1" is not a version at position 14 (write numbers separated by dots, like "16.4")');
    refuses('platform == "iOS"', 12, 'platform values are lower-case, "iOS" never matches at position 12 (did you mean "ios"?)');
  });

  test('weekday values must be mon..sun and country values two upper-case letters', () => {
    refuses('weekday == "saturday"', 11, '"saturday" is not a weekday at position 11 (did you mean "sat"?)');
    refuses('weekday in ("mon", "thur")', 19, '"thur" is not a weekday at position 19 (did you mean "thu"?)');
    refuses('weekday == "xyz"', 11, '"xyz" is not a weekday at position 11 (use one of "mon", "tue", "wed", "thu", "fri", "sat", "sun")');
    assert.equal(run('weekday == "Sat"'), true, 'weekday values ignore case');
    refuses('country in ("US", "ca")', 18, '"ca" is not a country code at position 18 (did you mean "CA"?)');
    refuses('country == "USA"', 11, '"USA" is not a country code at position 11 (use a 2-letter upper-case code, like "US")');
    assert.deepEqual(checkTargeting('country in ("US","CA","GB") and weekday not in ("mon","tue")'), { ok: true });
  });

  test('2,000 random garbage strings only ever throw TargetingError, quickly', { timeout: 20_000 }, (t) => {
    const rnd = prng(42);
    const bits = ['platform', 'os_version', 'hour', 'kv.genre', 'kv.', 'country', 'weekday', 'contry', ' and ', ' or ', ' not ', ' in ', ' matches ', 'true', 'FALSE',
      '==', '!=', '<', '>=', '=', '(', ')', '((', ',', '..', '9', '17', '16.1', '1.2.3', '"US"', '"ios"', '"sat"', '"(a+)+$"', '"[', '"', '\\', '"\\"', ' ', '\n', '&&', '!', "'", '@', '\u201c', '\u{1F600}', '.', '-'];
    let compiled = 0;
    let slowest = 0;
    for (let i = 0; i < 2000; i++) {
      let src = '';
      const len = Math.floor(rnd() * 12);
      for (let j = 0; j < len; j++) src += rnd() < 0.85 ? bits[Math.floor(rnd() * bits.length)] : String.fromCharCode(Math.floor(rnd() * 128));
      const t0 = performance.now();
      try {
        const c = compileTargeting(src);
        assert.equal(typeof c.test(base), 'boolean');
        assert.equal(typeof c.test(ctx({ kv: {}, os_version: '' })), 'boolean');
        compiled++;
      } catch (err) {
        assert.ok(err instanceof TargetingError, `${JSON.stringify(src)} threw ${String(err)}`);
        assert.ok(err.position >= 0 && err.position <= src.length, `${JSON.stringify(src)}: position ${err.position}`);
        assert.ok(err.message.includes(`at position ${err.position}`), err.message);
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    assert.ok(compiled > 0, 'some random strings are valid expressions');
    t.diagnostic(`${compiled} of 2000 compiled; slowest compile ${slowest.toFixed(2)} ms`);
  });

  test('a compiled five-clause expression evaluates a million times', (t) => {
    const c = compileTargeting('platform == "ios" and os_version >= "16" and country in ("US","CA") and screen_w >= 1080 and hour in 9..17');
    const ctxs = [base, ctx({ os_version: '15.8' }), ctx({ platform: 'android', os_version: '14' }), ctx({ country: 'CA', hour: 17, os_version: '17.0.1' })];
    const want = ctxs.map((x) => c.test(x));
    assert.deepEqual(want, [true, false, false, true]);
    const N = 1_000_000;
    let hits = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (c.test(ctxs[i & 3]!)) hits++;
    const ns = Number(process.hrtime.bigint() - t0) / N;
    assert.equal(hits, N / 2);
    t.diagnostic(`${ns.toFixed(1)} ns/eval over ${N} evaluations of a 5-clause expression`);
  });
});
