/**
 * Conversion attribution (jobs/attribution.ts): the three models on hand-made examples with
 * known answers, the lookback and device boundaries, the day range, and on a random app that
 * the credit adds up to the conversions and matches a brute-force reference.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DAY_MS, HOUR_MS, parseUtcDay, utcDay } from '../common/time.js';
import { attribute, type AttributionModel } from '../jobs/attribution.js';
import type { AttributionRow, TouchRow } from '../store/facts.js';
import { rng } from './helpers/rng.js';

const APP = 'app_1';
const D0 = parseUtcDay('2024-03-10');
const day = (n: number) => utcDay(D0 + n * DAY_MS);

/** Builds touches from (device, ts, click campaign/creative or 'conv'), ordered like the store answers them. */
function touches(specs: ReadonlyArray<readonly [device: string, ts: number, what: string]>): TouchRow[] {
  const rows = specs.map(([device_id, ts, what]) => {
    const [campaign_id, creative_id] = what === 'conv' ? ['', ''] : what.split('/');
    return { app_id: APP, day: utcDay(ts), device_id, ts, kind: what === 'conv' ? 'conversion' : 'click', campaign_id: campaign_id!, creative_id: creative_id ?? '', ord: 0 } satisfies TouchRow;
  });
  rows.sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : a.ts - b.ts));
  const ords = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.device_id}|${r.day}`;
    r.ord = ords.get(k) ?? 0;
    ords.set(k, r.ord + 1);
  }
  return rows;
}

/** The rows as 'day campaign/creative' -> conversions, for comparing fractions with a tolerance. */
function credits(rows: readonly AttributionRow[]): Map<string, number> {
  return new Map(rows.map((r) => [`${r.day} ${r.campaign_id}/${r.creative_id}`, r.conversions]));
}

function assertCredits(rows: readonly AttributionRow[], expected: Record<string, number>): void {
  const got = credits(rows);
  assert.deepEqual([...got.keys()].sort(), Object.keys(expected).sort(), `rows: ${JSON.stringify([...got])}`);
  for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(got.get(k)! - v) < 1e-12, `${k}: ${got.get(k)} != ${v}`);
}

const RANGE = { fromDay: day(0), toDay: day(30) };

// Device a: clicks on A/a1 (day 0), A/a1 (day 3), B/b1 (day 5), converts day 6 (+1h after the
// last click). Device b: converts with no click. Device c: clicks C/c1 after converting.
const conv6 = D0 + 6 * DAY_MS + 12 * HOUR_MS;
const EXAMPLE = touches([
  ['dev_a', D0 + 12 * HOUR_MS, 'A/a1'],
  ['dev_a', D0 + 3 * DAY_MS + 12 * HOUR_MS, 'A/a1'],
  ['dev_a', D0 + 5 * DAY_MS + 12 * HOUR_MS, 'B/b1'],
  ['dev_a', conv6, 'conv'],
  ['dev_b', D0 + 2 * DAY_MS, 'conv'],
  ['dev_c', D0 + 4 * DAY_MS, 'conv'],
  ['dev_c', D0 + 4 * DAY_MS + 1, 'C/c1'],
]);

describe('attribution models', () => {
  test('last touch gives the whole conversion to the latest click and unattributed ones to campaign ""', () => {
    const rows = attribute(EXAMPLE, { lookbackDays: 7, model: 'last_touch', ...RANGE });
    assertCredits(rows, { [`${day(2)} /`]: 1, [`${day(4)} /`]: 1, [`${day(6)} B/b1`]: 1 });
    assert.ok(rows.every((r) => r.app_id === APP && r.model === 'last_touch'));
  });

  test('linear gives each of the n clicks 1/n, summed per campaign and creative', () => {
    const rows = attribute(EXAMPLE, { lookbackDays: 7, model: 'linear', ...RANGE });
    assertCredits(rows, { [`${day(2)} /`]: 1, [`${day(4)} /`]: 1, [`${day(6)} A/a1`]: 2 / 3, [`${day(6)} B/b1`]: 1 / 3 });
  });

  test('time decay weighs a click by 2^(-age / half-life), normalised to one conversion', () => {
    // Ages 6 days, 3 days, 1 day; half-life 3 days: weights 1/4, 1/2, 2^(-1/3).
    const w = [2 ** -2, 2 ** -1, 2 ** (-1 / 3)];
    const total = w[0]! + w[1]! + w[2]!;
    const rows = attribute(EXAMPLE, { lookbackDays: 7, model: 'time_decay', halfLifeDays: 3, ...RANGE });
    assertCredits(rows, { [`${day(2)} /`]: 1, [`${day(4)} /`]: 1, [`${day(6)} A/a1`]: (w[0]! + w[1]!) / total, [`${day(6)} B/b1`]: w[2]! / total });
  });

  test('time decay has a half-life of 7 days by default', () => {
    const conv = D0 + 10 * DAY_MS;
    const t = touches([
      ['d', conv - 7 * DAY_MS, 'old/x'],
      ['d', conv, 'new/x'],
      ['d', conv, 'conv'],
    ]);
    assertCredits(attribute(t, { lookbackDays: 7, model: 'time_decay', ...RANGE }), { [`${day(10)} old/x`]: 1 / 3, [`${day(10)} new/x`]: 2 / 3 });
  });

  test('two conversions of one device are each credited in full, on their own days', () => {
    const t = touches([
      ['d', D0 + 1 * DAY_MS, 'A/1'],
      ['d', D0 + 2 * DAY_MS, 'conv'],
      ['d', D0 + 3 * DAY_MS, 'B/1'],
      ['d', D0 + 4 * DAY_MS, 'conv'],
    ]);
    assertCredits(attribute(t, { lookbackDays: 7, model: 'last_touch', ...RANGE }), { [`${day(2)} A/1`]: 1, [`${day(4)} B/1`]: 1 });
    assertCredits(attribute(t, { lookbackDays: 7, model: 'linear', ...RANGE }), { [`${day(2)} A/1`]: 1, [`${day(4)} A/1`]: 0.5, [`${day(4)} B/1`]: 0.5 });
  });

  test('rows are sorted by day, campaign and creative and carry the model', () => {
    const t = touches([
      ['d1', D0 + 5 * DAY_MS, 'Z/1'],
      ['d1', D0 + 5 * DAY_MS + 1, 'A/2'],
      ['d1', D0 + 5 * DAY_MS + 2, 'A/1'],
      ['d1', D0 + 5 * DAY_MS + 3, 'conv'],
      ['d2', D0 + 1 * DAY_MS, 'conv'],
    ]);
    const rows = attribute(t, { lookbackDays: 7, model: 'linear', ...RANGE });
    assert.deepEqual(rows.map((r) => [r.day, r.campaign_id, r.creative_id, r.model]), [
      [day(1), '', '', 'linear'],
      [day(5), 'A', '1', 'linear'],
      [day(5), 'A', '2', 'linear'],
      [day(5), 'Z', '1', 'linear'],
    ]);
  });
});

describe('attribution candidates', () => {
  test('the lookback keeps a click exactly lookbackDays old and drops one a millisecond older', () => {
    const conv = D0 + 10 * DAY_MS;
    const t = touches([
      ['d', conv - 7 * DAY_MS - 1, 'old/x'],
      ['d', conv - 7 * DAY_MS, 'edge/x'],
      ['d', conv, 'conv'],
    ]);
    for (const model of ['last_touch', 'linear', 'time_decay'] as const) {
      assertCredits(attribute(t, { lookbackDays: 7, model, ...RANGE }), { [`${day(10)} edge/x`]: 1 });
    }
    // With only the too-old click left, the conversion is organic.
    assertCredits(attribute(t.filter((r) => r.campaign_id !== 'edge'), { lookbackDays: 7, model: 'linear', ...RANGE }), { [`${day(10)} /`]: 1 });
    // A shorter lookback drops the edge click too; a fractional one is taken in days.
    assertCredits(attribute(t, { lookbackDays: 6.5, model: 'last_touch', ...RANGE }), { [`${day(10)} /`]: 1 });
  });

  test('a click in the same millisecond as the conversion counts, whatever its ord; a later one does not', () => {
    const conv = D0 + 3 * DAY_MS;
    const t = touches([
      ['d', conv, 'conv'],
      ['d', conv, 'same/x'],
      ['d', conv + 1, 'later/x'],
    ]);
    assert.equal(t[0]!.kind, 'conversion', 'the conversion comes first in ord');
    assertCredits(attribute(t, { lookbackDays: 7, model: 'last_touch', ...RANGE }), { [`${day(3)} same/x`]: 1 });
  });

  test("another device's clicks never count, even just before the conversion", () => {
    const conv = D0 + 3 * DAY_MS;
    const t = touches([
      ['dev_1', conv - 1, 'A/x'],
      ['dev_2', conv, 'conv'],
      ['dev_3', conv - 1, 'B/x'],
    ]);
    for (const model of ['last_touch', 'linear', 'time_decay'] as const) {
      assertCredits(attribute(t, { lookbackDays: 7, model, ...RANGE }), { [`${day(3)} /`]: 1 });
    }
  });

  test('only conversions of days in [fromDay, toDay] are credited, but clicks before fromDay count', () => {
    const t = touches([
      ['d', D0 + 1 * DAY_MS, 'A/x'],
      ['d', D0 + 2 * DAY_MS, 'conv'],
      ['d', D0 + 3 * DAY_MS, 'conv'],
      ['d', D0 + 4 * DAY_MS, 'conv'],
      ['d', D0 + 5 * DAY_MS, 'conv'],
    ]);
    const rows = attribute(t, { lookbackDays: 7, model: 'linear', fromDay: day(3), toDay: day(4) });
    assertCredits(rows, { [`${day(3)} A/x`]: 1, [`${day(4)} A/x`]: 1 });
  });

  test('touches not in device order give the same answer as ordered ones', () => {
    const shuffled = [...EXAMPLE].reverse();
    for (const model of ['last_touch', 'linear', 'time_decay'] as const) {
      assert.deepEqual(attribute(shuffled, { lookbackDays: 7, model, ...RANGE }), attribute(EXAMPLE, { lookbackDays: 7, model, ...RANGE }));
    }
  });

  test('no touches give no rows, and bad options are refused', () => {
    assert.deepEqual(attribute([], { lookbackDays: 7, model: 'linear', ...RANGE }), []);
    assert.throws(() => attribute(EXAMPLE, { lookbackDays: -1, model: 'linear', ...RANGE }), RangeError);
    assert.throws(() => attribute(EXAMPLE, { lookbackDays: Number.NaN, model: 'linear', ...RANGE }), RangeError);
    assert.throws(() => attribute(EXAMPLE, { lookbackDays: 7, model: 'first_touch' as AttributionModel, ...RANGE }), RangeError);
    assert.throws(() => attribute(EXAMPLE, { lookbackDays: 7, model: 'time_decay', halfLifeDays: 0, ...RANGE }), RangeError);
  });
});

// ---- random app: totals and a brute-force reference ----


function randomApp(seed: number): TouchRow[] {
  const r = rng(seed);
  const specs: Array<[string, number, string]> = [];
  for (let d = 0; d < 300; d++) {
    const n = 1 + Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      // Minute-grained times over 20 days, so same-ms ties happen.
      const ts = D0 + Math.floor(r() * 20 * 24 * 60) * 60_000;
      const what = r() < 0.3 ? 'conv' : `cmp_${Math.floor(r() * 4)}/cr_${Math.floor(r() * 3)}`;
      specs.push([`dev_${String(d).padStart(3, '0')}`, ts, what]);
    }
  }
  return touches(specs);
}

/** Quadratic reference: every conversion against every touch. */
function reference(all: readonly TouchRow[], lookbackDays: number, model: AttributionModel, halfLifeDays: number, fromDay: string, toDay: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  for (const conv of all) {
    if (conv.kind !== 'conversion' || conv.day < fromDay || conv.day > toDay) continue;
    const cands = all
      .filter((c) => c.kind === 'click' && c.device_id === conv.device_id && c.ts <= conv.ts && c.ts >= conv.ts - lookbackDays * DAY_MS)
      .sort((a, b) => a.ts - b.ts || a.ord - b.ord);
    if (cands.length === 0) add(`${conv.day} /`, 1);
    else if (model === 'last_touch') add(`${conv.day} ${cands.at(-1)!.campaign_id}/${cands.at(-1)!.creative_id}`, 1);
    else {
      const w = cands.map((c) => (model === 'linear' ? 1 : 2 ** (-(conv.ts - c.ts) / (halfLifeDays * DAY_MS))));
      const total = w.reduce((a, b) => a + b, 0);
      cands.forEach((c, i) => add(`${conv.day} ${c.campaign_id}/${c.creative_id}`, w[i]! / total));
    }
  }
  return out;
}

describe('attribution on a random app', () => {
  const all = randomApp(42);
  const fromDay = day(5);
  const toDay = day(15);
  const conversions = all.filter((t) => t.kind === 'conversion' && t.day >= fromDay && t.day <= toDay).length;

  for (const model of ['last_touch', 'linear', 'time_decay'] as const) {
    test(`${model}: the credit adds up to the number of conversions, per day and in total, and matches the brute-force reference`, () => {
      const rows = attribute(all, { lookbackDays: 3, model, halfLifeDays: 2, fromDay, toDay });
      assert.ok(conversions > 100, `${conversions} conversions`);
      const total = rows.reduce((s, r) => s + r.conversions, 0);
      assert.ok(Math.abs(total - conversions) < 1e-9, `credited ${total}, converted ${conversions}`);
      for (const d of new Set(rows.map((r) => r.day))) {
        const credited = rows.filter((r) => r.day === d).reduce((s, r) => s + r.conversions, 0);
        const converted = all.filter((t) => t.kind === 'conversion' && t.day === d).length;
        assert.ok(Math.abs(credited - converted) < 1e-9, `${d}: credited ${credited}, converted ${converted}`);
      }
      assert.ok(rows.some((r) => r.campaign_id === '') && rows.some((r) => r.campaign_id !== ''), 'both organic and attributed conversions');
      const ref = reference(all, 3, model, 2, fromDay, toDay);
      const got = credits(rows);
      assert.deepEqual([...got.keys()].sort(), [...ref.keys()].sort());
      for (const [k, v] of ref) assert.ok(Math.abs(got.get(k)! - v) < 1e-9, `${k}: ${got.get(k)} != ${v}`);
    });
  }
});
