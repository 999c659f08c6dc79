/**
 * Sessions that run across several midnights, loaded through the real pipeline and jobs in
 * one batch and in several (split by arrival): the store's tables must come out the same
 * row for row, and the sessions must be those of common/sessions.ts over each device's whole
 * event list. Late events extend a session begun days earlier, split one with a late
 * app_open, continue a crashed session days later and take the session of a later day away.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { sessionize } from '../common/sessions.js';
import { Codec, FrameKind, SEGMENT_MAGIC, encodeFrame } from '../common/segment-format.js';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseUtcDay, utcDay } from '../common/time.js';
import type { JobsOptions } from '../jobs/options.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { tmp } from './helpers/fleet.js';
import { runJobs } from './helpers/jobs.js';
import { runPipelineOnce } from './helpers/pipeline.js';
import { rng } from './helpers/rng.js';

type Ev = { event_id: string; seq: number; type: string; ts: number; name?: string; props?: Record<string, unknown>; campaign_id?: string; creative_id?: string; slot_id?: string };
interface Device {
  app: string;
  id: string;
  ctx: Record<string, string>;
  /** Events with the batch (1..BATCHES) they arrive in; seqs follow time. */
  events: (Ev & { batch: number })[];
}

const BATCHES = 4;
const D0 = parseUtcDay('2026-03-02');
const at = (day: number, h: number, m = 0, s = 0) => D0 + day * DAY_MS + h * HOUR_MS + m * MINUTE_MS + s * 1000;
const TABLES = ['agg_app_hourly', 'agg_app_daily', 'agg_campaign_hourly', 'agg_custom_daily', 'touches', 'agg_attribution_daily', 'agg_app_hour_total', 'agg_app_dim_daily', 'agg_campaign_hour_li', 'agg_campaign_dim_daily', 'delivery'];


function device(app: string, id: string, platform: string, spec: [type: string, ts: number, batch: number, more?: Partial<Ev>][]): Device {
  const sorted = [...spec].sort((a, b) => a[1] - b[1]);
  const events = sorted.map(([type, ts, batch, more], seq) => ({ event_id: `${id}-${seq}`, seq, type, ts, batch, ...more }));
  return { app, id, ctx: { app_id: app, device_id: id, platform, country: platform === 'ios' ? 'US' : 'DE', os_version: '17', app_version: '1.0' }, events };
}

/** Events every `stepMin` minutes from `from` to `to` (custom and ad events, no background). */
function steady(from: number, to: number, stepMin: number, batchOf: (ts: number) => number): [string, number, number, Partial<Ev>?][] {
  const out: [string, number, number, Partial<Ev>?][] = [];
  let k = 0;
  for (let t = from; t <= to; t += stepMin * MINUTE_MS, k++) {
    if (k % 7 === 3) out.push(['ad_impression', t, batchOf(t), { campaign_id: 'cmp-1', creative_id: 'cr-1', slot_id: 'slot-1' }]);
    else out.push(['custom', t, batchOf(t), { name: 'level', props: { n: k % 3 } }]);
  }
  return out;
}

/** Hand-made devices for each way a late event changes sessions days away, each case in an app of its own (so no other device's late events make a load reload or read its days), plus random ones. */
function scenario(): Device[] {
  const byDay = (t: number) => Math.min(BATCHES, 1 + Math.floor((t - D0) / DAY_MS));
  const devs: Device[] = [
    // Opens on day 0 and keeps sending until day 3, no background: one session; each day arrives in its own batch.
    device('app-span', 'span', 'ios', [['app_open', at(0, 10), 1], ...steady(at(0, 10, 20), at(3, 12), 20, byDay)]),
    // The same shape, all in batch 1; a late app_open on day 2 (batch 3) splits it, the day-0 session gets shorter.
    device('app-split', 'split', 'android', [['app_open', at(0, 9), 1], ...steady(at(0, 9, 20), at(3, 20), 20, () => 1), ['app_open', at(2, 8, 10, 30), 3], ['app_close', at(3, 21), 1]]),
    // A crash on day 0 (no close); days later custom events with no open continue that session.
    device('app-crash', 'crash', 'ios', [['app_open', at(0, 22), 1], ['custom', at(0, 22, 1), 1, { name: 'purchase' }], ['custom', at(3, 7), 2, { name: 'level', props: { n: 1 } }], ['app_close', at(3, 7, 10), 2]]),
    // Day 4's events start a session, until a late event on day 2 starts it there instead (day 4 loses it).
    device('app-forward', 'forward', 'android', [['app_open', at(0, 10), 1], ['app_close', at(0, 10, 5), 1], ['custom', at(4, 12), 1, { name: 'level', props: { n: 2 } }], ['app_close', at(4, 12, 10), 1], ['custom', at(2, 15), 2, { name: 'level', props: { n: 0 } }]]),
    // A background just before midnight and a foreground just after, within the timeout: one session; the second half arrives last.
    device('app-bg-midnight', 'bg-midnight', 'ios', [['app_open', at(1, 23, 59), 1], ['app_background', at(1, 23, 59, 50), 1], ['app_foreground', at(2, 0, 0, 10), 4], ['custom', at(2, 0, 0, 30), 4, { name: 'level', props: { n: 1 } }], ['app_close', at(2, 0, 1), 4]]),
    // A crash just before midnight; an open 15 s after midnight arrives later and ends it sooner than the timeout.
    device('app-cut-open', 'cut-open', 'android', [['app_open', at(1, 23, 50), 1], ['custom', at(1, 23, 59, 50), 1, { name: 'level', props: { n: 1 } }], ['app_open', at(2, 0, 0, 5), 2], ['app_close', at(2, 0, 2), 2]]),
    // A session from day 0 to day 2, then one from day 2 into day 3; a late event on day 3 walks days 2 and 3 again, which
    // must keep day 2 known as reached by the day-0 session: a later load of day 2 alone (another device's late session) reads from day 0.
    device('app-keep-in', 'keep-in', 'ios', [['app_open', at(0, 20), 1], ...steady(at(0, 23), at(2, 5), 180, () => 1), ['app_close', at(2, 7), 1], ['app_open', at(2, 20), 1],
      ['custom', at(2, 22), 1, { name: 'level', props: { n: 1 } }], ['custom', at(3, 2), 1, { name: 'level', props: { n: 1 } }], ['custom', at(3, 3), 2, { name: 'level', props: { n: 2 } }],
      ['custom', at(3, 5), 1, { name: 'level', props: { n: 1 } }], ['app_close', at(3, 6), 1]]),
    device('app-keep-in', 'keep-in-2', 'android', [['app_open', at(2, 12), 3], ['app_close', at(2, 12, 5), 3]]),
    // A session from day 1 to day 5 whose middle arrives in the last batch (a hole filled late).
    device('app-hole', 'hole', 'ios', [['app_open', at(1, 6), 1], ...steady(at(1, 6, 30), at(5, 6), 45, (t) => (t < at(2, 0) || t > at(4, 0) ? 1 : 4)), ['app_close', at(5, 6, 30), 2]]),
  ];
  // Random devices: sessions of every kind, gaps from seconds to days, most events on time and some late.
  const r = rng(20260302);
  const TYPES: [string, number][] = [['custom', 0.4], ['ad_request', 0.12], ['ad_impression', 0.12], ['ad_click', 0.04], ['app_background', 0.08], ['app_foreground', 0.08], ['app_open', 0.1], ['app_close', 0.06]];
  for (let d = 0; d < 24; d++) {
    const spec: [string, number, number, Partial<Ev>?][] = [];
    let t = at(0, Math.floor(r() * 24), Math.floor(r() * 60));
    const n = 20 + Math.floor(r() * 60);
    for (let i = 0; i < n && t < at(6, 0); i++) {
      let x = r();
      let type = 'custom';
      for (const [name, p] of TYPES) if ((x -= p) < 0) ((type = name), (x = 2));
      if (i === 0) type = 'app_open';
      const ad = type.startsWith('ad_') ? { campaign_id: `cmp-${1 + Math.floor(r() * 2)}`, creative_id: 'cr-1', slot_id: 'slot-1' } : {};
      const custom = type === 'custom' ? { name: r() < 0.1 ? 'purchase' : 'level', props: { n: Math.floor(r() * 3) } } : {};
      const onTime = byDay(t);
      const batch = r() < 0.2 ? onTime + Math.floor(r() * (BATCHES - onTime + 1)) : onTime;
      spec.push([type, t, Math.min(BATCHES, batch), { ...ad, ...custom }]);
      const g = r();
      t += g < 0.6 ? 1000 + Math.floor(r() * 60_000) : g < 0.85 ? Math.floor(r() * 3 * HOUR_MS) : g < 0.95 ? Math.floor(r() * 30 * HOUR_MS) : Math.floor(r() * 3 * DAY_MS);
    }
    devs.push(device('app-rand', `r${d}`, d % 2 ? 'ios' : 'android', spec));
  }
  return devs;
}

/** One sealed segment with the given devices' events of one batch, where tracking ships them. */
function writeSegment(lakeDir: string, name: string, receivedAt: number, devs: Device[], batch: number): number {
  const dir = join(lakeDir, 'segments', `dt=${utcDay(receivedAt)}`);
  mkdirSync(dir, { recursive: true });
  const frames: Buffer[] = [];
  let count = 0;
  for (const d of devs) {
    const events = d.events.filter((e) => e.batch === batch).map(({ batch: _b, ...e }) => e);
    for (let i = 0; i < events.length; i += 50) {
      const body = Buffer.from(JSON.stringify({ device: d.ctx, sent_at: receivedAt, events: events.slice(i, i + 50) }));
      frames.push(encodeFrame(FrameKind.Upload, Codec.Identity, receivedAt, {}, body));
      count += Math.min(50, events.length - i);
    }
  }
  writeFileSync(join(dir, `${name}.seg`), Buffer.concat([SEGMENT_MAGIC, ...frames]));
  return count;
}

/** Every row of the fact tables and report rollups, sorted, as text. */
function dump(dbPath: string): Record<string, string[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT * FROM ${t}`).all() as object[]).map((row) => JSON.stringify(row)).sort()]));
  } finally {
    db.close();
  }
}

async function newStore(dbPath: string): Promise<void> {
  const store = new SqliteStore({ path: dbPath });
  await store.migrate();
  await store.close();
}

/** Takes the session days out of a jobs state, as a state from before they were kept has none. */
function forgetSessionDays(stateDir: string): void {
  const path = join(stateDir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as { apps: Record<string, { sessions?: unknown }> };
  for (const a of Object.values(m.apps)) delete a.sessions;
  writeFileSync(path, JSON.stringify(m));
  for (const app of readdirSync(join(stateDir, 'apps'))) {
    for (const f of readdirSync(join(stateDir, 'apps', app)).filter((x) => x.endsWith('.dev.json'))) {
      const devices = JSON.parse(readFileSync(join(stateDir, 'apps', app, f), 'utf8')) as Record<string, { s?: unknown }>;
      for (const d of Object.values(devices)) delete d.s;
      writeFileSync(join(stateDir, 'apps', app, f), JSON.stringify(devices));
    }
  }
}

/** Loads the batches `groups` (each a list of arrival batches) one after another; answers the store's tables. */
async function load(dir: string, devs: Device[], groups: number[][], over: Partial<JobsOptions>, between: (stateDir: string) => void = () => {}): Promise<Record<string, string[]>> {
  const lakeDir = join(dir, 'lake');
  const dbPath = join(dir, 'sluice.db');
  await newStore(dbPath);
  for (const [g, batches] of groups.entries()) {
    for (const b of batches) writeSegment(lakeDir, `trk-${1_800_000_000_000 + b}-${b}`, at(6, 1) + b * HOUR_MS, devs, b);
    await runPipelineOnce(lakeDir, dbPath);
    const store = new SqliteStore({ path: dbPath });
    try {
      const r = await runJobs(lakeDir, store, { stateDir: join(dir, 'state'), threads: 0, ...over });
      assert.equal(r.status, 'succeeded', `group ${g}: ${r.error ?? ''}`);
    } finally {
      await store.close();
    }
    between(join(dir, 'state'));
  }
  return dump(dbPath);
}

/** Sessions and session time per app, day and platform, and per app and start hour, from sessionize over each device's whole list. */
function truth(devs: Device[]): { daily: Map<string, [number, number]>; hourly: Map<string, [number, number]> } {
  const daily = new Map<string, [number, number]>();
  const hourly = new Map<string, [number, number]>();
  const add = (m: Map<string, [number, number]>, k: string, ms: number) => {
    const c = m.get(k) ?? [0, 0];
    m.set(k, [c[0] + 1, c[1] + ms]);
  };
  for (const d of devs) {
    for (const s of sessionize(d.events.map((e) => ({ type: e.type, ts: e.ts })))) {
      add(daily, `${d.app}|${utcDay(s.start)}|${d.ctx.platform}`, s.end - s.start);
      add(hourly, `${d.app}|${Math.floor(s.start / HOUR_MS) * HOUR_MS}`, s.end - s.start);
    }
  }
  return { daily, hourly };
}

function sessionsOf(tables: Record<string, string[]>, table: string, key: (r: Record<string, unknown>) => string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const line of tables[table]!) {
    const r = JSON.parse(line) as Record<string, number>;
    if (r.sessions === 0) continue;
    const k = key(r);
    const c = out.get(k) ?? [0, 0];
    out.set(k, [c[0] + r.sessions!, c[1] + r.session_ms!]);
  }
  return out;
}

function assertSameMap(got: Map<string, [number, number]>, want: Map<string, [number, number]>, what: string): void {
  const diff: string[] = [];
  for (const k of [...new Set([...got.keys(), ...want.keys()])].sort()) {
    const [a, b] = [got.get(k) ?? [0, 0], want.get(k) ?? [0, 0]];
    if (a[0] !== b[0] || a[1] !== b[1]) diff.push(`${what} ${k}: store ${a[0]} sessions / ${a[1]} ms, truth ${b[0]} / ${b[1]}`);
  }
  assert.deepEqual(diff, []);
}

describe('sessions across midnights do not depend on how the events are batched', () => {
  let dir = '';
  let devs: Device[] = [];
  let once: Record<string, string[]> = {};
  before(async () => {
    dir = tmp('sessions-batching');
    devs = scenario();
    once = await load(join(dir, 'once'), devs, [[1, 2, 3, 4]], {});
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('one batch gives the sessions of common/sessions.ts over each device\'s whole event list, per day and platform and per start hour', () => {
    const want = truth(devs);
    assert.ok(once.agg_app_daily!.length > 10 && once.agg_campaign_hourly!.length > 0 && once.touches!.length > 0);
    assertSameMap(sessionsOf(once, 'agg_app_daily', (r) => `${r.app_id}|${r.day}|${r.platform}`), want.daily, 'daily');
    assertSameMap(sessionsOf(once, 'agg_app_hourly', (r) => `${r.app_id}|${r.hour}`), want.hourly, 'hourly');
  });

  test('four batches by arrival, two days a window, leave every table row for row as one batch does', async () => {
    const got = await load(join(dir, 'four'), devs, [[1], [2], [3], [4]], { windowDays: 2 });
    for (const t of TABLES) assert.deepEqual(got[t], once[t], `table ${t}`);
  });

  test('two batches, one day a window, leave every table row for row as one batch does', async () => {
    const got = await load(join(dir, 'two'), devs, [[1, 2], [3, 4]], { windowDays: 1 });
    for (const t of TABLES) assert.deepEqual(got[t], once[t], `table ${t}`);
  });

  test('a state without session days (as one from before they were kept) is walked again from the lake, and the later batches load as one batch does', async () => {
    // The hand-made devices alone: no random device's late event makes a load read or reload their days anyway.
    const made = devs.filter((d) => !d.id.startsWith('r'));
    const want = await load(join(dir, 'made-once'), made, [[1, 2, 3, 4]], {});
    const got = await load(join(dir, 'made-old-state'), made, [[1], [2, 3], [4]], { windowDays: 3 }, forgetSessionDays);
    for (const t of TABLES) assert.deepEqual(got[t], want[t], `table ${t}`);
  });
});
