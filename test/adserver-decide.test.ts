import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CampaignIndex, type PacingRegistry } from '../adserver/campaign-index.js';
import { DecisionStats, WhyNot, decide } from '../adserver/decide.js';
import { FrequencyCaps } from '../adserver/frequency-caps.js';
import { planAll } from '../adserver/pacing.js';
import { adFixture } from '../bench/adserver-fixture.js';
import type { TargetingContext } from '../common/targeting/request-context.js';

const ios: TargetingContext = { platform: 'ios', os_version: '17.1', app_version: '1.0', device_model: 'iPhone16,1', screen_w: 1179, screen_h: 2556, country: 'US', region: 'CA', kv: { genre: 'puzzle' }, hour: 12, weekday: 'mon' };
const android: TargetingContext = { platform: 'android', os_version: '11', app_version: '1.0', device_model: 'SM-A515F', screen_w: 720, screen_h: 1600, country: 'CN', region: '', kv: {}, hour: 3, weekday: 'sat' };

function setup() {
  const now = Date.now();
  const pacing: PacingRegistry = new Map();
  const ix = CampaignIndex.build(adFixture(2000, 50, 7, now), pacing);
  planAll(pacing.values(), now, 0, 60_000);
  const stats = new DecisionStats();
  stats.resize(ix.lineItems.length);
  // Count the runs of each compiled expression.
  const runs = new Array<number>(ix.tests.length).fill(0);
  ix.tests.forEach((t, id) => (ix.tests[id] = (ctx) => (runs[id]!++, t(ctx))));
  return { ix, stats, runs, now, pacing, caps: new FrequencyCaps(1000) };
}

test('line items that share a targeting expression run it once per decision, not once per candidate', () => {
  const { ix, stats, runs, now, caps } = setup();
  const entry = ix.slots.get('slot_0')!;
  const candidates = entry.tiers.reduce((n, t) => n + t.length, 0);
  assert.ok(candidates > ix.tests.length * 2, `the slot has ${candidates} candidates over ${ix.tests.length} expressions`);
  // A context no line item is off target for would stop at the first tier; a rare one walks them all.
  decide(ix, entry, { app: entry.app.id, slot: 'slot_0', device: 'd1', n: 1, ctx: android }, caps, stats, now, () => 0.5);
  for (const r of runs) assert.ok(r <= 1, `an expression ran ${r} times in one decision`);
});

test('each decision tests its own request: a result is never carried over to the next request', () => {
  const { ix, stats, now, caps, pacing } = setup();
  // Nothing may serve, so every tier is walked and every candidate tested.
  for (const u of pacing.values()) u.serveP = 0;
  const entry = ix.slots.get('slot_0')!;
  const offTarget = (ctx: TargetingContext): number => {
    stats.whyNot.fill(0);
    decide(ix, entry, { app: entry.app.id, slot: 'slot_0', device: 'd1', n: 1, ctx }, caps, stats, now, () => 0.99);
    let n = 0;
    for (let i = 0; i < ix.lineItems.length; i++) n += stats.whyNot[i * 5 + WhyNot.Targeting]!;
    return n;
  };
  // The reference: every candidate's own expression run on the context.
  const reference = (ctx: TargetingContext): number => entry.tiers.flat().filter((c) => now >= c.start && now < c.end && !ix.tests[c.testId]!(ctx)).length;
  const [a, b, c] = [offTarget(ios), offTarget(android), offTarget(ios)];
  assert.equal(a, reference(ios));
  assert.equal(b, reference(android));
  assert.equal(c, a, 'the same request again, the same answer');
  assert.notEqual(a, b, 'two different devices are tested apart');
});
