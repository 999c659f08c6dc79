/**
 * The HyperLogLog sketch (common/hll.ts): accuracy over the range the daily device sketches
 * see, merging, the two serialized forms, and that repeats change nothing.
 *
 * On accuracy: at p = 14 one sketch's relative error has a standard deviation of about 0.8%,
 * so "within 1%" of ONE sketch is a 1.2-sigma bound that roughly one input set in five
 * misses, however good the hash. The tests therefore bound each single sketch at 2.5%
 * (~3 sigma) and the root-mean-square error of independent sketches at 1%.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hll, HLL_M } from '../common/hll.js';

/** Adds `${prefix}${i}` for i in [from, to). */
function fill(h: Hll, prefix: string, from: number, to: number): Hll {
  for (let i = from; i < to; i++) h.add(`${prefix}${i}`);
  return h;
}

function relErr(h: Hll, n: number): number {
  return h.estimate() / n - 1;
}

function rms(errs: readonly number[]): number {
  return Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length);
}

const pct = (e: number) => `${(e * 100).toFixed(3)}%`;

describe('HyperLogLog estimates', () => {
  test('an empty sketch estimates 0', () => {
    assert.equal(new Hll().estimate(), 0);
  });

  test('sets of fewer than 100 items are counted almost exactly', () => {
    for (const n of [1, 2, 3, 5, 10, 20, 50, 99]) {
      const est = fill(new Hll(), 'device-', 0, n).estimate();
      // Two of 99 items share a register with probability ~0.26; each shared one loses ~1.
      assert.ok(Math.abs(est - n) <= Math.max(0.5, n * 0.03), `n=${n}: estimate ${est}`);
    }
  });

  test('one sketch of 10k, 100k and 1M distinct device ids is within 2.5% (3 sigma) of the truth', () => {
    const h = new Hll();
    let done = 0;
    for (const n of [10_000, 100_000, 1_000_000]) {
      fill(h, 'device-', done, n);
      done = n;
      const e = relErr(h, n);
      assert.ok(Math.abs(e) <= 0.025, `n=${n}: error ${pct(e)}`);
    }
  });

  test('the rms error of independent sketches is below 1% at 10k, 100k and 1M', () => {
    const errs = new Map<number, number[]>([[10_000, []], [100_000, []], [1_000_000, []]]);
    for (let k = 0; k < 16; k++) {
      const h = new Hll();
      let done = 0;
      // 16 sketches to 100k, 8 of them on to 1M.
      for (const n of k < 8 ? [10_000, 100_000, 1_000_000] : [10_000, 100_000]) {
        fill(h, `app${k}/device-`, done, n);
        done = n;
        errs.get(n)!.push(relErr(h, n));
      }
    }
    for (const [n, e] of errs) {
      assert.ok(rms(e) < 0.01, `n=${n}: rms error ${pct(rms(e))} over ${e.length} sketches: ${e.map(pct).join(' ')}`);
      assert.ok(e.every((x) => Math.abs(x) <= 0.025), `n=${n}: a sketch off by more than 2.5%: ${e.map(pct).join(' ')}`);
    }
  });

  test('adding the same items again, in any order, changes neither the registers nor the estimate', () => {
    const once = fill(new Hll(), 'device-', 0, 10_000);
    const again = new Hll();
    for (let r = 0; r < 3; r++) for (let i = 0; i < 10_000; i++) again.add(`device-${r === 1 ? 9_999 - i : (i * 7919) % 10_000}`);
    assert.deepEqual(again.registers, once.registers);
    assert.equal(again.estimate(), once.estimate());
  });

  test('a hash is split into a 14-bit register index and the rank of the first 1 in the other 50 bits', () => {
    const at = (h1: number, h2: number) => {
      const h = new Hll();
      h.addHash(h1, h2);
      const i = h.registers.findIndex((r) => r !== 0);
      return [i, h.registers[i]];
    };
    assert.deepEqual(at(0x0002_0000, 0), [0, 1]); // the first bit after the index
    assert.deepEqual(at(0xffff_ffff, 0xffff_ffff), [HLL_M - 1, 1]);
    assert.deepEqual(at(0x0004_0001, 0), [1, 18]); // last bit of h1
    assert.deepEqual(at(0, 0x8000_0000), [0, 19]); // first bit of h2
    assert.deepEqual(at(0xfffc_0000, 1), [HLL_M - 1, 50]);
    assert.deepEqual(at(0, 0), [0, 51]); // all 50 bits 0
    const h = new Hll();
    h.addHash(0, 1);
    h.addHash(0, 0x8000_0000); // a lower rank never lowers a register
    assert.equal(h.registers[0], 50);
  });
});

describe('HyperLogLog merging', () => {
  test('merging the sketches of two overlapping sets gives exactly the sketch of their union', () => {
    const a = fill(new Hll(), 'device-', 0, 60_000);
    const b = fill(new Hll(), 'device-', 40_000, 100_000);
    const union = fill(new Hll(), 'device-', 0, 100_000);
    const ab = a.clone().merge(b);
    assert.deepEqual(ab.registers, union.registers);
    assert.deepEqual(b.clone().merge(a).registers, union.registers);
    assert.equal(ab.estimate(), union.estimate());
    assert.deepEqual(ab.merge(a).registers, union.registers, 'merging a part again changes nothing');
    assert.ok(Math.abs(relErr(ab, 100_000)) < 0.025);
  });

  test('merging daily sketches counts a device seen on several days once', () => {
    const days = [0, 1, 2, 3, 4, 5, 6].map((d) => fill(new Hll(), 'device-', d * 1_000, d * 1_000 + 5_000));
    const week = days.reduce((acc, d) => acc.merge(d), new Hll());
    assert.deepEqual(week.registers, fill(new Hll(), 'device-', 0, 11_000).registers);
  });
});

describe('HyperLogLog serialization', () => {
  test('an empty sketch is a few characters and reads back empty', () => {
    const s = new Hll().toBase64();
    assert.ok(s.length <= 4, s);
    assert.ok(Hll.fromBase64(s).isEmpty());
  });

  test('a small sketch uses the sparse form, three bytes per set register, and round-trips', () => {
    const h = fill(new Hll(), 'device-', 0, 100);
    const set = h.registers.filter((r) => r !== 0).length;
    const s = h.toBase64();
    assert.equal(Buffer.from(s, 'base64')[0], 0x02);
    assert.equal(Buffer.from(s, 'base64').length, 1 + 3 * set);
    assert.ok(s.length < 500, `${s.length} characters`);
    const back = Hll.fromBase64(s);
    assert.deepEqual(back.registers, h.registers);
    assert.equal(back.estimate(), h.estimate());
  });

  test('a large sketch uses the dense form and round-trips byte for byte', () => {
    const h = fill(new Hll(), 'device-', 0, 100_000);
    const s = h.toBase64();
    const bytes = Buffer.from(s, 'base64');
    assert.equal(bytes[0], 0x01);
    assert.equal(bytes.length, 1 + HLL_M);
    const back = Hll.fromBase64(s);
    assert.deepEqual(back.registers, h.registers);
    assert.equal(back.toBase64(), s);
  });

  test('the form switches to dense where sparse would stop being shorter', () => {
    const h = new Hll();
    const sparseMax = Math.floor((HLL_M - 1) / 3); // 3k < m
    for (let i = 0; i < sparseMax; i++) h.registers[i * 3] = (i % 51) + 1;
    assert.equal(Buffer.from(h.toBase64(), 'base64')[0], 0x02);
    assert.deepEqual(Hll.fromBase64(h.toBase64()).registers, h.registers);
    h.registers[HLL_M - 1] = 51;
    assert.equal(Buffer.from(h.toBase64(), 'base64')[0], 0x01);
    assert.deepEqual(Hll.fromBase64(h.toBase64()).registers, h.registers);
  });

  test('a merge of sketches read back from base64 equals the merge of the originals', () => {
    const a = fill(new Hll(), 'a-', 0, 300);
    const b = fill(new Hll(), 'b-', 0, 30_000);
    const merged = Hll.fromBase64(a.toBase64()).merge(Hll.fromBase64(b.toBase64()));
    assert.deepEqual(merged.registers, a.clone().merge(b).registers);
  });

  test('mergeBase64 folds in the text of a sparse or dense sketch exactly as fromBase64 and merge do, and refuses text of another shape', () => {
    const a = fill(new Hll(), 'a-', 0, 300);
    const b = fill(new Hll(), 'b-', 0, 30_000);
    const c = fill(new Hll(), 'c-', 0, 50);
    const merged = c.clone().mergeBase64(a.toBase64()).mergeBase64(b.toBase64());
    assert.deepEqual(merged.registers, c.clone().merge(a).merge(b).registers);
    const enc = (bytes: number[]) => Buffer.from(bytes).toString('base64');
    for (const bad of ['', enc([0x03]), enc([0x01, 1, 2, 3]), enc([0x02, 0, 1]), enc([0x02, 0x40, 0, 1]), enc([0x02, 0, 1, 52])]) {
      assert.throws(() => new Hll().mergeBase64(bad), RangeError, JSON.stringify(bad));
    }
  });

  test('text that is not a sketch is refused', () => {
    const enc = (bytes: number[]) => Buffer.from(bytes).toString('base64');
    for (const bad of [
      '',
      'not base64!',
      'h'.repeat(40),
      enc([0x03]), // unknown tag
      enc([0x01, 1, 2, 3]), // dense, too short
      enc([0x02, 0, 1]), // sparse, not triples
      enc([0x02, 0, 5, 1, 0, 4, 1]), // sparse, out of order
      enc([0x02, 0x40, 0, 1]), // sparse, index 16384
      enc([0x02, 0, 1, 0]), // sparse, value 0
      enc([0x02, 0, 1, 52]), // rank above 51
    ]) {
      assert.throws(() => Hll.fromBase64(bad), RangeError, JSON.stringify(bad));
    }
    assert.throws(() => new Hll(new Uint8Array(10)), RangeError);
  });
});
