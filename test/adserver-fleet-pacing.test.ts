import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../common/logger.js';
import { FleetPacing } from '../adserver/fleet-pacing.js';
import { PacingUnit } from '../adserver/pacing.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { tmp } from './helpers/fleet.js';

const T0 = Date.UTC(2026, 11, 1);
const HOUR = 3_600_000;
const log = createLogger('fleet-pacing-test', 'silent');

/** One node's unit for an even line item of 1,000 over a day, with `eligible` requests counted since its last plan. */
function node(store: SqliteStore, name: string, countImpressions = false): { fleet: FleetPacing; unit: PacingUnit; units: Map<string, PacingUnit> } {
  const unit = new PacingUnit('li_1', 1000, T0, T0 + 24 * HOUR, 'even');
  return { fleet: new FleetPacing(store, { nodeId: name, leaseMs: 3 * 60_000, countImpressions, pruneAfterMs: 35 * 24 * HOUR }, log), unit, units: new Map([['li_1', unit]]) };
}

test('nodes plan on the fleet\'s total and their share of its traffic; a new node joins at the next plan, and a dead one drops out of the live figures after its lease while its deliveries stay counted', async () => {
  const store = new SqliteStore({ path: join(tmp('fleet-pacing'), 'sluice.db') });
  await store.migrate();
  const a = node(store, 'node-a');
  const b = node(store, 'node-b');
  let now = T0 + 12 * HOUR;

  // Node a alone: the whole traffic, the whole remaining goal.
  a.unit.eligible = 60 * 100;
  for (let i = 0; i < 400; i++) a.unit.book(now, now + 60_000);
  assert.equal(await a.fleet.plan(a.units, now, 60_000, 60_000), true);
  assert.equal(a.fleet.nodes, 1);
  assert.equal(a.unit.delivered, 400);
  assert.equal(a.unit.allowance, 600);

  // Node b starts (nobody restarts): it counts from its first plan, and takes no share of the goal until its traffic is measured.
  now += 60_000;
  b.unit.eligible = 0;
  await b.fleet.plan(b.units, now, 60_000, 60_000);
  assert.equal(b.fleet.nodes, 2);
  assert.equal(b.unit.delivered, 400, 'b sees what a delivered');
  assert.equal(b.unit.allowance, 0);
  // Both measured: a sees three times b's traffic and takes three quarters of what is left.
  b.unit.eligible = 60 * 100;
  for (let i = 0; i < 100; i++) b.unit.book(now, now + 60_000);
  await b.fleet.plan(b.units, now + 1, 60_000, 60_000);
  a.unit.eligible = 60 * 300;
  await a.fleet.plan(a.units, now + 2, 60_000, 60_000);
  assert.equal(a.fleet.nodes, 2);
  assert.equal(a.unit.delivered, 500);
  const shareA = a.unit.eligibleRate / (a.unit.eligibleRate + b.unit.eligibleRate);
  assert.ok(Math.abs(a.unit.allowance - 500 * shareA) < 1e-9, `allowance ${a.unit.allowance}`);
  // Every node applies one probability to its own traffic: the fleet's need over the fleet's traffic.
  assert.ok(a.unit.serveP > 0 && a.unit.serveP < 1);
  const fleetRate = a.unit.fleetRate;
  assert.ok(Math.abs(fleetRate - (a.unit.eligibleRate + b.unit.eligibleRate)) < 1e-9);

  // Node b dies. After its lease, a is alone again, with b's 100 decisions still counted.
  now += 4 * 60_000;
  a.unit.eligible = 60 * 300;
  await a.fleet.plan(a.units, now, 4 * 60_000, 60_000);
  assert.equal(a.fleet.nodes, 1);
  assert.equal(a.unit.delivered, 500);
  assert.equal(a.unit.allowance, 500);
  assert.equal(a.unit.fleetRate, a.unit.eligibleRate);
  await store.close();
});

test('the allowance is a hard stop until the next plan: a node that used its share serves nothing more, yet still counts its traffic', async () => {
  const store = new SqliteStore({ path: join(tmp('fleet-pacing'), 'sluice.db') });
  await store.migrate();
  const a = node(store, 'node-a');
  const b = node(store, 'node-b');
  const now = T0 + 23 * HOUR;
  for (let i = 0; i < 990; i++) a.unit.book(now, now + 60_000);
  await a.fleet.plan(a.units, now, 60_000, 60_000);
  await b.fleet.plan(b.units, now, 60_000, 60_000);
  await a.fleet.plan(a.units, now, 60_000, 60_000);
  assert.equal(a.unit.allowance, 5, 'half of the 10 left, with two nodes and no traffic measured');
  for (let i = 0; i < 5; i++) {
    assert.equal(a.unit.done(now), false);
    a.unit.book(now, now + 60_000);
  }
  assert.equal(a.unit.done(now), true);
  await store.close();
});

test('a store that fails keeps the last view and allowance: the fleet still stops at its goal', async () => {
  let fail = false;
  const store = new SqliteStore({ path: join(tmp('fleet-pacing'), 'sluice.db') });
  await store.migrate();
  const flaky = {
    publishAdUnits: (...x: Parameters<SqliteStore['publishAdUnits']>) => (fail ? Promise.reject(new Error('store down')) : store.publishAdUnits(...x)),
    fleetDelivery: (s: number, n: number) => store.fleetDelivery(s, n),
    pruneFleet: (s: number) => store.pruneFleet(s),
  };
  const unit = new PacingUnit('li_1', 1000, T0, T0 + 24 * HOUR, 'even');
  const fleet = new FleetPacing(flaky, { nodeId: 'node-a', leaseMs: 180_000, countImpressions: false, pruneAfterMs: 35 * 24 * HOUR }, log);
  const now = T0 + 12 * HOUR;
  await store.publishAdUnits('node-b', [{ unit_key: 'li_1', decided: 0, decided_live: 0, live_until: 0, eligible_rate: 0 }], now);
  for (let i = 0; i < 800; i++) unit.book(now, now + 60_000);
  await fleet.plan(new Map([['li_1', unit]]), now, 60_000, 60_000);
  assert.equal(unit.allowance, 100);
  fail = true;
  for (let i = 0; i < 100; i++) unit.book(now, now + 60_000);
  assert.equal(await fleet.plan(new Map([['li_1', unit]]), now + 60_000, 60_000, 60_000), false);
  assert.equal(fleet.errors, 1);
  assert.equal(unit.done(now + 60_000), true, 'the allowance it had is spent, and it stays spent while the store is down');
  await store.close();
});

test('a dead node\'s pending decisions count until their tokens expire, and the impressions that render them settle them, not other nodes\' decisions', async () => {
  const store = new SqliteStore({ path: join(tmp('fleet-pacing'), 'sluice.db') });
  await store.migrate();
  const a = node(store, 'node-a', true);
  const b = node(store, 'node-b', true);
  const now = T0 + 12 * HOUR;
  for (let i = 0; i < 10; i++) a.unit.book(now, now + 10 * 60_000);
  await a.fleet.plan(a.units, now, 60_000, 60_000);
  // Four of a's ads render; tracking says so. Then a dies.
  await store.publishImpressions('trk-1', [{ line_item_id: 'li_1', impressions: 4, impressions_live: 4, live_until: now + 10 * 60_000 }], now);
  await b.fleet.plan(b.units, now + 5 * 60_000, 60_000, 60_000);
  assert.equal(b.fleet.nodes, 1, 'a is past its lease');
  assert.equal(b.unit.delivered, 10, 'four impressions and six of a\'s decisions still pending');
  // Past the tokens' expiry only the impressions remain.
  await b.fleet.plan(b.units, now + 11 * 60_000, 60_000, 60_000);
  assert.equal(b.unit.delivered, 4);
  await store.close();
});
