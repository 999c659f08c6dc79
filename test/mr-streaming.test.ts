import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sessionize } from '../common/sessions.js';
import { DAY_MS, HOUR_MS, utcDay } from '../common/time.js';
import { asciiJson, fixed, keyField, keyFields, makeKey, unescapeKeyField } from '../jobs/mr/encoding.js';
import { dedupeJob } from '../jobs/mr/dedupe-job.js';
import type { SeqGapRow } from '../jobs/mr/device-job.js';
import { MR_CHAIN } from '../jobs/mr/mr-jobs.js';
import { runMap } from '../jobs/mr/phases.js';
import { runLocal } from '../jobs/mr/run-local.js';
import encode from '../pipeline/encode-worker.js';
import { eventKey, type EventRow } from '../pipeline/row.js';
import type { AppHourlyRow } from '../store/facts.js';
import { rng } from './helpers/rng.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const BASE = Date.UTC(2026, 2, 1);
const APPS = ['app-a', 'app b', 'app-ü'];


function shuffle<T>(a: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function row(over: Partial<EventRow> & Pick<EventRow, 'app_id' | 'device_id' | 'type' | 'event_time' | 'received_at'>): EventRow {
  return {
    dedupe_key: '', event_id: null, seq: null, ts: over.event_time, sent_at: null, dt: utcDay(over.event_time),
    platform: null, os_version: null, app_version: null, device_model: null, device_class: null, screen: null, country: null, country_name: null,
    region: null, region_name: null, locale: null, slot_id: null, campaign_id: null, creative_id: null, line_item_id: null, advertiser_id: null,
    campaign_name: null, publisher_id: null, app_name: null, name: null, props: null, extra: null, source: 'sdk', segment: 'seg', frame_offset: 0, flags: null,
    ...over,
  };
}

interface Data {
  rows: EventRow[];
  duplicates: number;
  longBackgrounds: number;
}

/**
 * Three apps (one id with a space, one with non-ASCII), 14 devices each over three days:
 * sessions with and without a close, backgrounds of 10 s, exactly 30 s, 30.001 s and 45 s,
 * an app update on day two for some, a legacy device with no seq and no event id, devices
 * that lose events (seq holes), a device id with a tab. About a tenth of the events arrive
 * twice more: later (with a different skew correction, so another hour), or in the same
 * segment at a later offset, or as the very same line.
 */
function makeData(seed: number): Data {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const rows: EventRow[] = [];
  let duplicates = 0;
  let longBackgrounds = 0;
  for (const app of APPS) {
    for (let d = 0; d < 14; d++) {
      const device = d === 3 ? 'dev\t3 ñ' : `dev-${d}`;
      const legacy = d === 5;
      const holes = d % 4 === 1;
      const platform = d % 2 === 0 ? 'ios' : 'android';
      const os = platform === 'ios' ? pick(['17.4', '18.0']) : pick(['13', '14']);
      const country = d % 7 === 6 ? null : pick(['US', 'DE', 'FR']);
      const deviceClass = d % 5 === 4 ? null : pick(['phone', 'tablet']);
      const upgrades = d % 3 === 0;
      let seq = 1;
      let n = 0;
      let t = BASE + Math.floor(r() * 6 * HOUR_MS);
      const add = (type: string) => {
        const appVersion = upgrades && t >= BASE + DAY_MS ? '2.0' : '1.9';
        const eventId = legacy ? null : `${device}-${n}`;
        const received = t + 5_000 + Math.floor(r() * 3 * HOUR_MS);
        const base = row({
          app_id: app, device_id: device, type, event_time: t, received_at: received, event_id: eventId,
          dedupe_key: eventId !== null ? `${app}\u0000${device}\u0000id:${eventId}` : `${app}\u0000${device}\u0000fp:${type}:${t}`,
          seq: legacy ? null : seq, platform, os_version: os, app_version: appVersion, country, device_class: deviceClass,
          segment: `seg-${Math.floor(received / 60_000)}`, frame_offset: Math.floor(r() * 1_000_000),
          name: type === 'custom' ? 'level_up' : null, props: type === 'custom' ? JSON.stringify({ level: n % 5, note: 'ünï' }) : null,
        });
        rows.push(base);
        const dup = r();
        if (dup < 0.05) {
          const later = base.received_at + 60_000 + Math.floor(r() * 2 * DAY_MS);
          const shifted = base.event_time + pick([0, 1000, -1000, 2 * HOUR_MS]);
          rows.push({ ...base, received_at: later, event_time: shifted, ts: shifted, dt: utcDay(shifted), segment: `seg-${Math.floor(later / 60_000)}`, frame_offset: Math.floor(r() * 1_000_000) });
          duplicates++;
        } else if (dup < 0.08) {
          const shifted = base.event_time + HOUR_MS;
          rows.push({ ...base, event_time: shifted, dt: utcDay(shifted), frame_offset: base.frame_offset + 1 + Math.floor(r() * 1000) });
          duplicates++;
        } else if (dup < 0.1) {
          rows.push({ ...base });
          duplicates++;
        }
        n++;
        seq += holes && r() < 0.1 ? 2 + Math.floor(r() * 3) : 1;
      };
      while (t < BASE + 3 * DAY_MS) {
        add('app_open');
        for (let k = 1 + Math.floor(r() * 6); k > 0; k--) {
          t += 1_000 + Math.floor(r() * 20_000);
          add(pick(['ad_request', 'ad_impression', 'ad_click', 'ad_interaction', 'custom', 'custom']));
        }
        if (r() < 0.5) {
          t += 2_000;
          add('app_background');
          const away = pick([10_000, 30_000, 30_001, 45_000]);
          if (away > 30_000) longBackgrounds++;
          t += away;
          add('app_foreground');
          t += 1_000 + Math.floor(r() * 10_000);
          add('ad_impression');
        }
        if (r() < 0.7) {
          t += 1_000 + Math.floor(r() * 10_000);
          add('app_close');
        }
        t += 10 * 60_000 + Math.floor(r() * 8 * HOUR_MS);
      }
    }
  }
  return { rows, duplicates, longBackgrounds };
}

interface Expected {
  events: number;
  cells: Map<string, { events: number; sessions: number; session_ms: number; devices: number }>;
  gaps: Map<string, number>;
}

/** The same numbers the straightforward way: a Map for dedupe, sessionize() per device, sums. */
function expected(rows: readonly EventRow[]): Expected {
  const kept = new Map<string, EventRow>();
  const first = (a: EventRow, b: EventRow) =>
    a.received_at !== b.received_at ? a.received_at < b.received_at : a.segment !== b.segment ? a.segment < b.segment : a.frame_offset < b.frame_offset;
  for (const r of rows) {
    const k = kept.get(eventKey(r));
    if (!k || first(r, k)) kept.set(eventKey(r), r);
  }
  const devices = new Map<string, EventRow[]>();
  for (const r of kept.values()) {
    const k = `${r.app_id}\u0000${r.device_id}`;
    devices.set(k, [...(devices.get(k) ?? []), r]);
  }
  const cellsAcc = new Map<string, { events: number; sessions: number; session_ms: number; devices: Set<string> }>();
  const gaps = new Map<string, number>();
  const cellKey = (r: EventRow) => [r.app_id, Math.floor(r.event_time / HOUR_MS) * HOUR_MS, r.platform ?? '', r.os_version ?? '', r.app_version ?? '', r.country ?? '', r.device_class ?? ''].join('|');
  const cell = (r: EventRow) => {
    const k = cellKey(r);
    let c = cellsAcc.get(k);
    if (!c) cellsAcc.set(k, (c = { events: 0, sessions: 0, session_ms: 0, devices: new Set() }));
    return c;
  };
  for (const [dev, evs] of devices) {
    evs.sort((a, b) => (a.seq !== null && b.seq !== null ? a.seq - b.seq : a.event_time - b.event_time));
    for (const e of evs) {
      const c = cell(e);
      c.events++;
      c.devices.add(dev);
    }
    for (const s of sessionize(evs.map((e) => ({ type: e.type, ts: e.event_time })))) {
      const opener = evs.find((e) => e.event_time === s.start)!;
      const c = cell(opener);
      c.sessions++;
      c.session_ms += s.end - s.start;
    }
    for (let i = 1; i < evs.length; i++) {
      if (evs[i]!.seq === null) continue;
      const hole = evs[i]!.seq! - evs[i - 1]!.seq! - 1;
      const k = [evs[i]!.app_id, utcDay(evs[i]!.event_time), evs[i]!.platform ?? ''].join('|');
      if (hole > 0) gaps.set(k, (gaps.get(k) ?? 0) + hole);
    }
  }
  const cells = new Map([...cellsAcc].map(([k, c]) => [k, { events: c.events, sessions: c.sessions, session_ms: c.session_ms, devices: c.devices.size }] as const));
  return { events: kept.size, cells, gaps };
}

/** The final output lines as the same shapes as `expected`. */
function actual(lines: readonly string[]): Expected {
  const cells: Expected['cells'] = new Map();
  const gaps = new Map<string, number>();
  let events = 0;
  for (const line of lines) {
    const [key, value] = line.split('\t') as [string, string];
    const kind = keyFields(key)[0];
    if (kind === 'app_hourly') {
      const h = JSON.parse(value) as AppHourlyRow;
      const k = [h.app_id, h.hour, h.platform, h.os_version, h.app_version, h.country, h.device_class].join('|');
      assert.ok(!cells.has(k), `one row per cell: ${k}`);
      cells.set(k, { events: h.events, sessions: h.sessions, session_ms: h.session_ms, devices: h.devices });
      events += h.events;
    } else {
      assert.equal(kind, 'seq_gaps');
      const g = JSON.parse(value) as SeqGapRow;
      gaps.set([g.app_id, g.day, g.platform].join('|'), g.seq_gaps);
    }
  }
  return { events, cells, gaps };
}

async function chainLocal(lines: readonly string[], threads: number): Promise<string[][]> {
  const outs: string[][] = [];
  let input = lines;
  for (const job of MR_CHAIN) {
    input = await runLocal(job, input, { threads });
    outs.push([...input]);
  }
  return outs;
}

function sh(script: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('bash', ['-c', `set -e -o pipefail\n${script}`], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const readLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
const sorted = (a: readonly string[]) => [...a].sort();

describe('map/reduce jobs under Hadoop Streaming', () => {
  const data = makeData(7);
  const lines = data.rows.map((r) => JSON.stringify(r));
  const want = expected(data.rows);
  let dir = '';
  let local: string[][] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-mr-'));
    local = await chainLocal(lines, 2);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the test data has thousands of events, duplicates, long backgrounds and seq holes', () => {
    assert.ok(data.rows.length > 3000, `${data.rows.length} rows`);
    assert.ok(data.duplicates > 200, `${data.duplicates} duplicates`);
    assert.ok(data.longBackgrounds > 50, `${data.longBackgrounds} backgrounds over 30 s`);
    assert.ok(want.gaps.size > 5, `${want.gaps.size} app-days with gaps`);
    assert.equal(want.events, data.rows.length - data.duplicates);
  });

  test('keys are printable ASCII that round-trip, and fixed-width numbers sort numerically', () => {
    for (const s of ['', 'a b', 'tab\there', 'back\\slash', 'ü日本', '\u0000x', 'emoji 😀']) {
      const k = keyField(s);
      assert.match(k, /^[\x21-\x7e]*$/);
      assert.equal(unescapeKeyField(k), s);
    }
    assert.deepEqual(keyFields(makeKey('a b', '', 'c')), ['a b', '', 'c']);
    const nums = [0, 9, 10, 99, 1_000, BASE, Number.MAX_SAFE_INTEGER];
    assert.deepEqual(nums.map(fixed).sort(), nums.map(fixed));
    assert.throws(() => fixed(-1), { code: 'JOB_ERR_MR_BAD_LINE' });
    assert.equal(JSON.parse(asciiJson({ s: 'ünï 😀\t' })).s, 'ünï 😀\t');
    assert.match(asciiJson({ s: 'ünï 😀\t' }), /^[\x20-\x7e]*$/);
  });

  test('the in-process chain equals a straightforward recount', () => {
    const got = actual(local[2]!);
    assert.equal(got.events, want.events);
    assert.deepEqual(got.cells, want.cells);
    assert.deepEqual(got.gaps, want.gaps);
    assert.equal(local[0]!.length, want.events, 'dedupe keeps one line per event');
    const sessions = [...want.cells.values()].reduce((n, c) => n + c.sessions, 0);
    assert.equal([...got.cells.values()].reduce((n, c) => n + c.sessions, 0), sessions);
  });

  test('input order and thread count do not change any output', async () => {
    const again = await chainLocal(shuffle(lines, 99), 1);
    assert.deepEqual(again, local);
    const inThread = await chainLocal(shuffle(lines, 3).reverse(), 0);
    assert.deepEqual(inThread, local);
  });

  test('map | LC_ALL=C sort | reduce through the sluice command gives the in-process result', async () => {
    const input = join(dir, 'events.jsonl');
    writeFileSync(input, shuffle(lines, 5).join('\n') + '\n');
    const node = `${q(process.execPath)} ${q(MAIN)}`;
    const files = ['dedupe', 'device', 'hourly'].map((j) => join(dir, `${j}.out`));
    const script = [
      `${node} mr dedupe map < ${q(input)} | LC_ALL=C sort | tee ${q(join(dir, 'dedupe.sorted'))} | ${node} mr dedupe reduce > ${q(files[0]!)}`,
      `${node} mr device map < ${q(files[0]!)} | LC_ALL=C sort | ${node} mr device reduce > ${q(files[1]!)}`,
      `${node} mr hourly map < ${q(files[1]!)} | LC_ALL=C sort | ${node} mr hourly reduce > ${q(files[2]!)}`,
    ].join('\n');
    const r = await sh(script);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /reporter:counter:sluice-mr,hourly-reduce-lines-out,\d+/);
    // The runner's sort is the byte order of `LC_ALL=C sort`, line for line.
    assert.deepEqual(readLines(join(dir, 'dedupe.sorted')), runMap(dedupeJob, lines).sort());
    for (let i = 0; i < 3; i++) assert.deepEqual(sorted(readLines(files[i]!)), sorted(local[i]!), `${MR_CHAIN[i]!.name} output`);
    const got = actual(readLines(files[2]!));
    assert.deepEqual(got.cells, want.cells);
    assert.deepEqual(got.gaps, want.gaps);
  });

  test('mr cat prints the rows of Parquet files as EventRow JSON lines', async () => {
    const sub = join(dir, 'lake', 'events', 'app_id=app-a', 'dt=2026-03-01');
    mkdirSync(sub, { recursive: true });
    const some = data.rows.slice(0, 300);
    await encode({ rows: some.slice(0, 200), path: join(sub, 'a.parquet') });
    await encode({ rows: some.slice(200), path: join(sub, 'b.parquet') });
    const r = await sh(`${q(process.execPath)} ${q(MAIN)} mr cat ${q(join(dir, 'lake'))} --log-level warn`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as EventRow), some);
  });

  test('an unknown job or phase exits with code 2, unsorted reduce input fails, and --help explains', async () => {
    const node = `${q(process.execPath)} ${q(MAIN)}`;
    const job = await sh(`${node} mr nope map < /dev/null`);
    assert.equal(job.code, 2);
    assert.match(job.stderr, /unknown map\/reduce job 'nope'/);
    const phase = await sh(`${node} mr dedupe combine < /dev/null`);
    assert.equal(phase.code, 2);
    assert.match(phase.stderr, /unknown phase 'combine'.*use map or reduce/);
    const unsorted = await sh(`${node} mr hourly reduce`, 'b\t1\na\t2\n');
    assert.equal(unsorted.code, 1);
    assert.match(unsorted.stderr, /not sorted.*LC_ALL=C sort/);
    const help = await sh(`${node} mr --help`);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /map\|reduce/);
    assert.match(help.stdout, /hadoop-streaming/);
  });
});
