import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Memoizer } from '../pipeline/memoizer.js';

test('the memoizer loads each key once however many callers ask at the same time, and caches misses too', async () => {
  const loads = new Map<string, number>();
  const m = new Memoizer<{ id: string }>(async (id) => {
    loads.set(id, (loads.get(id) ?? 0) + 1);
    await new Promise((r) => setImmediate(r));
    return id === 'missing' ? undefined : { id };
  });
  const got = await Promise.all(Array.from({ length: 100 }, (_, i) => m.get(['a', 'b', 'missing'][i % 3]!)));
  assert.deepEqual([...loads.entries()].sort(), [['a', 1], ['b', 1], ['missing', 1]]);
  assert.equal(got.filter((x) => x === null).length, 33);
  assert.equal((await m.get('a'))!.id, 'a');
  assert.equal(await m.get('missing'), null);
  assert.equal(loads.get('missing'), 1, 'an unknown id is asked about once');
  assert.ok(m.hitRatio > 0 && m.hitRatio < 1);
});
