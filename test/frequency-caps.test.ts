import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrequencyCaps } from '../adserver/frequency-caps.js';

const DAY = 86_400_000;

test('a device sees a capped line item as often as its cap within the window, and again after it', () => {
  const caps = new FrequencyCaps(100);
  const t = 1_000_000;
  for (let k = 0; k < 3; k++) {
    assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li1', 3, DAY, t + k), true, `impression ${k + 1}`);
    caps.record('d1', 'li1', DAY, t + k);
  }
  assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li1', 3, DAY, t + 10), false, 'the fourth is refused');
  assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li2', 3, DAY, t + 10), true, 'another line item is its own count');
  assert.equal(FrequencyCaps.allows(caps.lookup('d2'), 'li1', 3, DAY, t + 10), true, 'another device is its own count');
  assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li1', 3, DAY, t + DAY), true, 'a new window starts');
  // Several line items on one device: each keeps its own count.
  caps.record('d1', 'li2', DAY, t + 20);
  caps.record('d1', 'li3', DAY, t + 21);
  caps.record('d1', 'li2', DAY, t + 22);
  assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li2', 2, DAY, t + 30), false, 'li2 used its cap of 2');
  assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li3', 2, DAY, t + 30), true, 'li3 was seen once');
  assert.equal(FrequencyCaps.allows(caps.lookup('d1'), 'li1', 3, DAY, t + 30), false, 'li1 still used up');
});

test('memory stays bounded by devices and bytes, and a device seen lately is kept while stale ones go', () => {
  const caps = new FrequencyCaps(1000, 1e9);
  for (let i = 0; i < 20_000; i++) {
    caps.record(`dev-${i}`, 'li1', DAY, i);
    // One device comes back all the time: it must keep its count.
    caps.record('regular', 'li1', 10 * DAY, i);
  }
  assert.ok(caps.size <= 1000, `${caps.size} devices held`);
  assert.equal(caps.lookup('dev-0'), undefined, 'a device not seen for 19,999 others is forgotten');
  assert.equal(FrequencyCaps.entry(caps.lookup('regular'), 'li1')!.count, 20_000, 'the regular device kept every impression');
  const small = new FrequencyCaps(1_000_000, 100_000);
  for (let i = 0; i < 10_000; i++) small.record(`dev-${i}`, 'li1', DAY, i);
  assert.ok(small.bytes <= 100_000, `${small.bytes} estimated bytes held`);
  assert.ok(small.size > 0);
});
