import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { healthScore } from '../reporting-ui/health-score.js';

/** The data health score's documented formula (reporting-ui/health-score.ts), case by case. */
const clean = { events: 10_000, duplicates: 0, seq_gaps: 0, quarantined_rows: 0, restated_hours: 0 };

describe('the data health score', () => {
  test('a day with no duplicates, gaps, quarantined rows or restatements scores 100', () => {
    assert.equal(healthScore(clean).score, 100);
    assert.equal(healthScore({ ...clean, events: 0 }).score, 100, 'a day with nothing is not unhealthy');
  });

  test('each penalty grows linearly with its share up to its weight, then stays there', () => {
    // 5 % of events lost on devices: half of 40.
    const gaps = healthScore({ ...clean, events: 9_500, seq_gaps: 500 });
    assert.equal(gaps.gap_share, 5);
    assert.equal(gaps.penalties.gaps, 20);
    assert.equal(gaps.score, 80);
    assert.equal(healthScore({ ...clean, events: 5_000, seq_gaps: 5_000 }).score, 60, 'past 10 % lost the penalty stays 40');
    // 0.5 % quarantined: half of 30.
    assert.equal(healthScore({ ...clean, events: 9_950, quarantined_rows: 50 }).penalties.quarantined, 15);
    assert.equal(healthScore({ ...clean, quarantined_rows: 10_000 }).score, 70);
    // 12.5 % duplicates: half of 20.
    assert.equal(healthScore({ ...clean, events: 8_750, duplicates: 1_250 }).penalties.duplicates, 10);
    // 12 restated hours: half of 10; more than a day's hours stays at 10.
    assert.equal(healthScore({ ...clean, restated_hours: 12 }).score, 95);
    assert.equal(healthScore({ ...clean, restated_hours: 40 }).score, 90);
  });

  test('the penalties add up and the score never leaves 0..100', () => {
    const worst = healthScore({ events: 100, duplicates: 1_000, seq_gaps: 1_000, quarantined_rows: 1_000, restated_hours: 24 });
    assert.deepEqual(worst.penalties, { gaps: 40, quarantined: 30, duplicates: 20, restatements: 10 });
    assert.equal(worst.score, 0);
    const mixed = healthScore({ events: 9_000, duplicates: 1_000, seq_gaps: 0, quarantined_rows: 9, restated_hours: 6 });
    // duplicates 10 % -> 8; quarantined 0.0999 % -> 3; restated 6 h -> 2.5: 100 - 13.5 rounds to 87 (86.5 half up).
    assert.equal(mixed.penalties.duplicates, 8);
    assert.equal(mixed.penalties.quarantined, 3);
    assert.equal(mixed.penalties.restatements, 2.5);
    assert.equal(mixed.score, 87);
  });

  test('a worse day never scores higher than a better one', () => {
    let last = 101;
    for (const gaps of [0, 10, 100, 500, 1_000, 2_000]) {
      const s = healthScore({ ...clean, seq_gaps: gaps }).score;
      assert.ok(s <= last, `${gaps} gaps: ${s} after ${last}`);
      last = s;
    }
  });
});
