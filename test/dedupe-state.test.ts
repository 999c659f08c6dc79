import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DAY_MS, parseUtcDay, utcDay } from '../common/time.js';
import { dedupeKey } from '../common/dedupe-key.js';
import { LocalLake } from '../lake/local-lake.js';
import encode from '../pipeline/encode-worker.js';
import type { EventRow } from '../pipeline/row.js';
import { addSeqs } from '../jobs/device-seqs.js';
import { dedupeApp, readDrops } from '../jobs/dedupe-app.js';
import { KEY_WORDS, mergeRuns, runHas, sortedOrder } from '../jobs/key-runs.js';
import { emptyApp, type AppState } from '../jobs/state.js';
import { tmp } from './helpers/fleet.js';

const dir = tmp('dedupe');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('sorted key runs', () => {
  test('the radix order sorts by all four hash words and keeps equal keys in input order', () => {
    const n = 5000;
    const keys = new Uint32Array(n * KEY_WORDS);
    for (let i = 0; i < n; i++) {
      const src = i % 7 === 0 ? i - 7 : i; // every 7th key repeats an earlier one
      for (let w = 0; w < 4; w++) keys[i * KEY_WORDS + w] = src < 0 ? 0 : (Math.imul(src + 1, 2654435761 + w * 97) >>> 0) % (w === 0 ? 50 : 2 ** 32);
    }
    const order = Array.from(sortedOrder(keys, n));
    const word = (r: number, w: number) => keys[r * KEY_WORDS + w]!;
    for (let i = 1; i < n; i++) {
      const a = order[i - 1]!;
      const b = order[i]!;
      let c = 0;
      for (let w = 0; w < 4 && c === 0; w++) c = word(a, w) - word(b, w);
      assert.ok(c < 0 || (c === 0 && a < b), `position ${i}`);
    }
  });

  test('merging runs drops repeats and keys older than the retention day', () => {
    const run = (recs: number[][]) => new Uint32Array(recs.flat());
    const a = run([[1, 0, 0, 0, 10], [3, 0, 0, 0, 20]]);
    const b = run([[1, 0, 0, 0, 10], [2, 0, 0, 0, 5], [4, 0, 0, 0, 30]]);
    const m = mergeRuns([a, b], 8);
    assert.deepEqual(Array.from(m), [1, 0, 0, 0, 10, 3, 0, 0, 0, 20, 4, 0, 0, 0, 30]);
    const probe = run([[2, 0, 0, 0, 5], [4, 0, 0, 0, 30]]);
    assert.equal(runHas(m, probe, 0), false);
    assert.equal(runHas(m, probe, 1), true);
  });
});

describe('delivered seqs per device', () => {
  test('a hole is a gap on the day of the event after it, and a late event that fills it takes it back', () => {
    const delta = new Map<number, number>();
    let iv = addSeqs([], [1, 2, 5, 6], [10, 10, 11, 11], delta);
    assert.deepEqual(iv, [1, 2, 10, 5, 6, 11]);
    assert.deepEqual([...delta].filter(([, v]) => v !== 0), [[11, 2]]);
    const d2 = new Map<number, number>();
    iv = addSeqs(iv, [3], [10], d2);
    assert.deepEqual(iv, [1, 3, 10, 5, 6, 11]);
    assert.deepEqual([...d2].filter(([, v]) => v !== 0), [[11, -1]]);
    const d3 = new Map<number, number>();
    iv = addSeqs(iv, [4, 9], [11, 12], d3);
    assert.deepEqual(iv, [1, 6, 10, 9, 9, 12]);
    assert.deepEqual([...d3].filter(([, v]) => v !== 0).sort(), [[11, -1], [12, 2]]);
  });
});

function row(app: string, device: string, eventId: string | null, seq: number, day: string, platform = 'ios'): EventRow {
  const t = parseUtcDay(day) + seq * 60_000;
  const keyed = { event_id: eventId ?? undefined, app_id: app, device_id: device, seq, type: 'custom', ts: t };
  return {
    dedupe_key: dedupeKey(keyed), event_id: eventId, app_id: app, device_id: device, seq, type: 'custom', ts: t, sent_at: null, received_at: t, event_time: t, dt: utcDay(t),
    platform, os_version: null, app_version: null, device_model: null, device_class: null, screen: null, country: null, country_name: null, region: null, region_name: null, locale: null,
    slot_id: null, campaign_id: null, creative_id: null, line_item_id: null, advertiser_id: null, campaign_name: null, publisher_id: null, app_name: null, name: 'x', props: null, extra: null,
    source: 'sdk', segment: 's', frame_offset: 0, flags: null,
  };
}

async function put(lakeDir: string, key: string, rows: EventRow[]): Promise<string> {
  mkdirSync(join(lakeDir, key, '..'), { recursive: true });
  await encode({ rows, path: join(lakeDir, key) });
  return key;
}

describe('dedupe of one app across runs', () => {
  test('drops repeats within a batch, across batches and months later, keeps a re-sent legacy event out, and compacts within its bounds', async () => {
    const stateDir = join(dir, 'state');
    const lakeDir = join(dir, 'lake');
    const lake = new LocalLake({ dir: lakeDir });
    const app = 'app_x';
    const day0 = '2026-01-05';
    let state: AppState = emptyApp(4);
    const batch1 = [row(app, 'd1', 'e1', 1, day0), row(app, 'd1', 'e2', 2, day0), row(app, 'd1', 'e1', 1, day0), row(app, 'd2', null, 1, day0), row(app, 'd2', null, 1, day0), row(app, 'd1', 'e5', 5, day0)];
    const f1 = await put(lakeDir, `events/app_id=${app}/dt=${day0}/a.parquet`, batch1);
    const r1 = await dedupeApp({ stateDir, app, state, files: [f1], generation: 1, minDay: 0, maxRuns: 2, sessionTimeoutMs: 30_000, retentionDays: 402 }, lake);
    assert.equal(r1.rows, 6);
    assert.equal(r1.duplicates, 2);
    assert.deepEqual(Array.from((await readDrops(stateDir, app, r1.state.files[f1]!.drops))!), [2, 4]);
    state = r1.state;
    // Three months later: the device replays e2 and sends e3, e4 (filling the gap 3..4 on day0).
    const late = '2026-04-05';
    const f2 = await put(lakeDir, `events/app_id=${app}/dt=${day0}/b.parquet`, [row(app, 'd1', 'e2', 2, day0), row(app, 'd1', 'e3', 3, day0), row(app, 'd1', 'e4', 4, day0), row(app, 'd1', 'e9', 9, late)]);
    const r2 = await dedupeApp({ stateDir, app, state, files: [f2], generation: 2, minDay: 0, maxRuns: 2, sessionTimeoutMs: 30_000, retentionDays: 402 }, lake);
    assert.equal(r2.duplicates, 1);
    assert.ok(r2.days.includes(day0) && r2.days.includes(late));
    state = r2.state;
    // A third batch exceeds two runs per partition: the runs are compacted, and keys before minDay are forgotten.
    const f3 = await put(lakeDir, `events/app_id=${app}/dt=${late}/c.parquet`, [row(app, 'd1', 'e9', 9, late), row(app, 'd1', 'e1', 1, day0)]);
    const minDay = Math.floor(parseUtcDay('2026-02-01') / DAY_MS);
    const r3 = await dedupeApp({ stateDir, app, state, files: [f3], generation: 3, minDay, maxRuns: 2, sessionTimeoutMs: 30_000, retentionDays: 402 }, lake);
    assert.equal(r3.duplicates, 2, 'both are still found before compaction forgets day0');
    assert.ok(r3.state.partitions.every((p) => p.runs.length <= 2));
    // d1's partition was touched by all three runs: compacted into one run holding only the April key.
    const compacted = r3.state.partitions.filter((p) => p.runs.length === 1 && p.runs[0]!.endsWith('-g3.keys'));
    assert.equal(compacted.length, 1);
    assert.equal(compacted[0]!.keys, 1, 'only the key of the April event is left after the compaction');
    const counters = JSON.parse((await import('node:fs')).readFileSync(join(stateDir, 'apps', app, r3.state.counters!), 'utf8')) as Record<string, [number, number]>;
    // d1 delivered 1,2,3,4,5 on day0 and 9 later: one gap of 3 on the late day; duplicates per day.
    assert.deepEqual(counters[`${day0}|ios`], [0, 4]);
    assert.deepEqual(counters[`${late}|ios`], [3, 1]);
    assert.ok(readdirSync(join(stateDir, 'apps', app)).length > 0);
  });
});
