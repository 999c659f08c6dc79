import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../common/logger.js';
import { signDecision } from '../common/decision-token.js';
import { dedupeKey, fingerprint, type KeyedEvent } from '../common/dedupe-key.js';
import { murmur128String } from '../common/hash.js';
import { Codec, FrameKind, SEGMENT_MAGIC, encodeFrame } from '../common/segment-format.js';
import { DAY_MS, HOUR_MS, utcDay } from '../common/time.js';
import type { JobsOptions } from '../jobs/options.js';
import { startJobs } from '../jobs/run.js';
import { LocalLake } from '../lake/local-lake.js';
import { conflict } from '../store/errors.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { ReportStore } from '../store/store.js';
import { tmp } from './helpers/fleet.js';
import { jobsOptions } from './helpers/jobs.js';
import { duck, runPipelineOnce } from './helpers/pipeline.js';
import { post, startTestTracking } from './helpers/tracking.js';
import type { Json } from './helpers/json.js';

type Ev = Record<string, unknown>;

const NOW = Date.now();
const D1 = utcDay(NOW - 2 * DAY_MS);
const D2 = utcDay(NOW - DAY_MS);
const at = (day: string, hour: number, min = 0) => Date.parse(`${day}T00:00:00Z`) + hour * HOUR_MS + min * 60_000;

/** Posts one upload to a tracking server and checks every event was accepted. */
async function upload(url: string, device: Ev, events: Ev[]): Promise<void> {
  const r = await post(url, JSON.stringify({ device, sent_at: Date.now(), events }));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.accepted, events.length, JSON.stringify(r.json));
}

/**
 * A sealed segment as an older tracking build wrote it, before ingest refused lone surrogates
 * and NUL: one upload frame per body, straight into the lake where shipping puts segments.
 */
function writeOldSegment(lakeDir: string, name: string, bodies: ({ device: Ev; events: Ev[] } | Buffer)[]): void {
  const dir = join(lakeDir, 'segments', `dt=${utcDay(NOW)}`);
  mkdirSync(dir, { recursive: true });
  // A Buffer is a frame body as it stands (a whole CRC-checked frame whose body is no upload).
  const frames = bodies.map((b) => encodeFrame(FrameKind.Upload, Codec.Identity, NOW, {}, Buffer.isBuffer(b) ? b : Buffer.from(JSON.stringify({ ...b, sent_at: NOW }))));
  writeFileSync(join(dir, `${name}.seg`), Buffer.concat([SEGMENT_MAGIC, ...frames]));
}

/** A store migrated at dir/sluice.db. */
async function newStore(dir: string): Promise<{ store: SqliteStore; dbPath: string }> {
  const dbPath = join(dir, 'sluice.db');
  const store = new SqliteStore({ path: dbPath });
  await store.migrate();
  return { store, dbPath };
}

/** One run of the events workflow; answers its result and the tier's /metrics text read before it closes. */
async function runEvents(lakeDir: string, store: ReportStore, stateDir: string, over: Partial<JobsOptions> = {}) {
  const lake = new LocalLake({ dir: lakeDir });
  const tier = await startJobs({ ...jobsOptions({ stateDir, threads: 2, retries: 0, retryBackoffMs: 1, ...over }), scheduled: false }, { lake: 'local', lakeDir }, lake, store, createLogger('jobs', 'silent'));
  try {
    const r = await tier.run('events');
    return { ...r, metrics: await (await fetch(`${tier.url}/metrics`)).text() };
  } finally {
    await tier.close();
    await lake.close();
  }
}

/** Every JSON file under the lake's quarantine/ prefix, parsed, with its key. */
function quarantineFiles(lakeDir: string): { key: string; body: Json }[] {
  const out: { key: string; body: Json }[] = [];
  const walk = (rel: string) => {
    const abs = join(lakeDir, rel);
    if (!existsSync(abs)) return;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.json')) out.push({ key: r, body: JSON.parse(readFileSync(join(lakeDir, r), 'utf8')) });
    }
  };
  walk('quarantine');
  return out;
}

describe('bad rows never stop the later tiers', () => {
  let dir = '';
  before(() => {
    dir = tmp('sec-jobs');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a custom prop value with a lone surrogate is quarantined at the load with its app, day and reason, and every other row, app and day is loaded', async () => {
    const base = join(dir, 'poison');
    const lakeDir = join(base, 'lake');
    const { store, dbPath } = await newStore(base);
    const t = await startTestTracking({ dataDir: join(base, 'trk'), lakeDir, appKeysFromStore: false, shipIntervalMs: 3_600_000 });
    // Ground truth of what was sent: events by type per app-day, custom rows per (app, day, name, prop, value).
    const byType = new Map<string, Record<string, number>>();
    const custom = new Map<string, number>();
    const count = (app: string, events: Ev[]) => {
      for (const e of events) {
        const day = utcDay(e.ts as number);
        const k = `${app}|${day}`;
        const c = byType.get(k) ?? {};
        c[e.type as string] = (c[e.type as string] ?? 0) + 1;
        byType.set(k, c);
        if (e.type !== 'custom') continue;
        const rows: [string, string][] = [['', ''], ...Object.entries((e.props ?? {}) as Record<string, unknown>).map(([p, v]) => [p, String(v)] as [string, string])];
        for (const [p, v] of rows) custom.set(`${app}|${day}|${e.name}|${p}|${v}`, (custom.get(`${app}|${day}|${e.name}|${p}|${v}`) ?? 0) + 1);
      }
    };
    const session = (app: string, device: string, day: string, hour: number, extra: Ev[] = []): Ev[] => {
      let seq = hour * 10;
      const e = (type: string, min: number, more: Ev = {}): Ev => ({ event_id: `${app}-${device}-${day}-${seq}`, seq: seq++, type, ts: at(day, hour, min), ...more });
      return [e('app_open', 0), e('custom', 1, { name: 'level', props: { color: 'red', size: 'L' } }), e('custom', 2, { name: 'purchase', props: { sku: 'sku-1' } }), ...extra.map((x, i) => e('custom', 3 + i, x)), e('app_close', 9)];
    };
    try {
      const plan: [string, string, string, number][] = [['app-a', 'dev-1', D1, 10], ['app-a', 'dev-1', D2, 11], ['app-a', 'dev-2', D2, 12], ['app-b', 'dev-3', D1, 13], ['app-c', 'dev-4', D2, 14]];
      for (const [app, device, day, hour] of plan) {
        const events = session(app, device, day, hour);
        await upload(t.url, { app_id: app, device_id: device, platform: 'ios', country: 'US' }, events);
        count(app, events);
      }
      await t.segments.roll();
      await t.shipper.shipOnce();
    } finally {
      await t.close();
    }
    // The poison: app-a, day D1, a custom event whose prop value holds a lone surrogate (and a good prop beside it).
    const poison = session('app-a', 'dev-9', D1, 15, [{ name: 'level', props: { color: 'v\ud800', size: 'XL' } }]);
    writeOldSegment(lakeDir, 'oldtrk-1000000000000-1', [{ device: { app_id: 'app-a', device_id: 'dev-9', platform: 'android', country: 'DE' }, events: poison }]);
    count('app-a', poison);

    await runPipelineOnce(lakeDir, dbPath);
    try {
      const r = await runEvents(lakeDir, store, join(base, 'state'));
      assert.equal(r.status, 'succeeded', r.error ?? '');
      assert.deepEqual(r.steps.map((s) => s.name), ['discover', 'dedupe', 'load', 'attribution', 'delivery'], 'attribution and delivery (pacing feedback) ran too');

      // Every app and day is loaded; event counts equal what was sent (the poison event itself is counted: only its bad row is not).
      for (const [k, want] of byType) {
        const [app, day] = k.split('|') as [string, string];
        const got: Record<string, number> = {};
        for (const d of await store.appDaily(app, day, day)) for (const ty of Object.keys(want)) got[ty] = (got[ty] ?? 0) + (d as unknown as Record<string, number>)[ty]!;
        assert.deepEqual(got, want, `${app} ${day}`);
      }
      // Custom rows: everything sent but the one bad value.
      const bad = `app-a|${D1}|level|color|v\ud800`;
      const gotCustom = new Map<string, number>();
      for (const app of ['app-a', 'app-b', 'app-c']) for (const c of await store.customDaily(app, D1, D2)) gotCustom.set(`${c.app_id}|${c.day}|${c.name}|${c.prop}|${c.value}`, c.count);
      const wantCustom = new Map(custom);
      wantCustom.delete(bad);
      assert.deepEqual([...gotCustom].sort(), [...wantCustom].sort());

      // The bad row sits in the lake's quarantine with its app, day and reason.
      const q = quarantineFiles(lakeDir).filter((f) => f.body.source === 'jobs');
      assert.equal(q.length, 1, JSON.stringify(quarantineFiles(lakeDir).map((f) => f.key)));
      assert.equal(q[0]!.body.app_id, 'app-a');
      assert.equal(q[0]!.body.day, D1);
      assert.deepEqual(q[0]!.body.rows.map((x: Json) => [x.table, x.reason, x.row.value]), [['agg_custom_daily', 'lone_surrogate', 'v\ud800']]);
      assert.match(q[0]!.body.rows[0].problem, /value/);
      // Counted on /metrics and shown in data health.
      assert.match(r.metrics, /^sluice_jobs_quarantined_rows_total\{reason="lone_surrogate",table="agg_custom_daily"\} 1$/m);
      const health = await store.quarantined({ app_id: 'app-a' });
      assert.deepEqual(health.map((h) => [h.source, h.app_id, h.day, h.reason, h.row_count, h.lake_key]), [['jobs', 'app-a', D1, 'lone_surrogate', 1, q[0]!.key]]);
      assert.deepEqual(await store.quarantined({ app_id: 'app-b' }), []);

      // The next run does not trip over it either.
      const again = await runEvents(lakeDir, store, join(base, 'state'));
      assert.equal(again.status, 'succeeded', again.error ?? '');
    } finally {
      await store.close();
    }
  });

  test('an app-day or an attribution the store refuses as a whole is quarantined, and the other apps, attribution and delivery go on', async () => {
    const base = join(dir, 'refused');
    const lakeDir = join(base, 'lake');
    const { store, dbPath } = await newStore(base);
    const ev = (seq: number, type: string, more: Ev = {}): Ev => ({ event_id: `e${seq}`, seq, type, ts: at(D1, 10, seq), ...more });
    const ad = { campaign_id: 'cmp-1', creative_id: 'cr-1', slot_id: 'slot-1' };
    writeOldSegment(lakeDir, 'oldtrk-1000000000000-4', [
      { device: { app_id: 'app-q', device_id: 'dev-q', platform: 'ios' }, events: [ev(1, 'app_open'), ev(2, 'ad_click', ad), ev(3, 'custom', { name: 'purchase' }), ev(4, 'app_close')] },
      { device: { app_id: 'app-r', device_id: 'dev-r', platform: 'ios' }, events: [ev(1, 'app_open'), ev(2, 'ad_impression', ad), ev(3, 'app_close')] },
      { device: { app_id: 'app-s', device_id: 'dev-s', platform: 'ios' }, events: [ev(1, 'app_open'), ev(2, 'ad_impression', { ...ad, line_item_id: 'li-1' }), ev(3, 'app_close')] },
    ]);
    await runPipelineOnce(lakeDir, dbPath);
    // What MySQL does with keys it takes as equal (trailing spaces), here on demand: app-r's day and app-q's attribution are refused.
    const refusing = new Proxy(store, {
      get(target, prop) {
        if (prop === 'replaceAppDay') return (app: string, ...rest: [string, never, string, number]) => (app === 'app-r' ? Promise.reject(conflict('Duplicate entry for key PRIMARY')) : target.replaceAppDay(app, ...rest));
        if (prop === 'replaceAttribution') return (app: string, ...rest: [string, string, never]) => (app === 'app-q' ? Promise.reject(conflict('Duplicate entry for key PRIMARY')) : target.replaceAttribution(app, ...rest));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    try {
      const r = await runEvents(lakeDir, refusing, join(base, 'state'));
      assert.equal(r.status, 'succeeded', r.error ?? '');
      assert.deepEqual(r.steps.map((s) => s.name), ['discover', 'dedupe', 'load', 'attribution', 'delivery']);
      assert.equal((await store.appDaily('app-q', D1, D1))[0]?.events, 4);
      assert.equal((await store.appDaily('app-s', D1, D1))[0]?.ad_impression, 1);
      assert.deepEqual(await store.appDaily('app-r', D1, D1), []);
      assert.equal((await store.deliveredByLineItem(0)).get('li-1')?.impressions, 1, 'delivery for pacing is refreshed');
      const q = quarantineFiles(lakeDir).map((f) => [f.key.replace(/run_\w+/, 'RUN'), f.body.rows.length, [...new Set(f.body.rows.map((x: Json) => x.reason))].join()]).sort();
      assert.deepEqual(q, [
        // Attribution is replaced from the first day the load touched (D1: no session runs into it from the day before).
        [`quarantine/attribution/app_id=app-q/dt=${D1}/RUN.json`, 1, 'store_refused'],
        [`quarantine/facts/app_id=app-r/dt=${D1}/RUN.json`, 3, 'store_refused'],
      ]);
      assert.match(r.metrics, /^sluice_jobs_quarantined_rows_total\{reason="store_refused",table="agg_attribution_daily"\} 1$/m);
      assert.deepEqual((await store.quarantined({})).map((x) => [x.app_id, x.reason, x.row_count]).sort(), [['app-q', 'store_refused', 1], ['app-r', 'store_refused', 3]]);
    } finally {
      await store.close();
    }
  });

  test('the pipeline quarantines a row it cannot encode (lone surrogate, an app id that is no lake path) and a frame it cannot decode, with segment, offset and reason, and writes the rest', async () => {
    const base = join(dir, 'pipe');
    const lakeDir = join(base, 'lake');
    const { store, dbPath } = await newStore(base);
    await store.close();
    const ev = (id: string, seq: number, more: Ev = {}): Ev => ({ event_id: id, seq, type: 'app_open', ts: at(D1, 9, seq), ...more });
    writeOldSegment(lakeDir, 'oldtrk-1000000000000-2', [
      { device: { app_id: 'app-p', device_id: 'dev-ok', platform: 'ios' }, events: [ev('ok-1', 1), ev('ok-2', 2)] },
      // Two devices that only differ in a lone surrogate: UTF-8 would make both "sid\ufffd".
      { device: { app_id: 'app-p', platform: 'ios' }, events: [ev('s-1', 1, { device_id: 'sid\ud800' }), ev('s-2', 1, { device_id: 'sid\ud801' }), ev('ok-3', 3, { device_id: 'dev-ok' })] },
      // An app id that cannot be a lake partition.
      { device: { app_id: 'x/../../etc', device_id: 'dev-x', platform: 'ios' }, events: [ev('x-1', 1)] },
      // A frame whose CRC is right but whose body is no JSON at all.
      Buffer.from('{"device": {"app_id": "app-p"}, "events": [tor'),
      { device: { app_id: 'app-p', device_id: 'dev-ok', platform: 'ios' }, events: [ev('ok-4', 4)] },
    ]);
    const { done, metrics } = await runPipelineOnce(lakeDir, dbPath);
    assert.equal(done.length, 1);
    const rows = (await duck(lakeDir, (e) => `select app_id, device_id, event_id from ${e} order by event_id`)) as string[][];
    assert.deepEqual(rows, [['app-p', 'dev-ok', 'ok-1'], ['app-p', 'dev-ok', 'ok-2'], ['app-p', 'dev-ok', 'ok-3'], ['app-p', 'dev-ok', 'ok-4']]);
    const all = quarantineFiles(lakeDir).filter((f) => f.body.source === 'pipeline');
    const whole = all.filter((f) => f.body.reason === 'undecodable_frame');
    assert.equal(whole.length, 1);
    assert.match(whole[0]!.body.problem, /JSON/);
    assert.ok(existsSync(join(lakeDir, whole[0]!.key.replace(/\.json$/, '.bin'))), 'the frame itself is kept beside its reason');
    const q = all.filter((f) => f.body.reason === null);
    const got = q.flatMap((f) => f.body.rows.map((x: Json) => [f.body.segment, x.reason, x.event.event_id, x.app_id])).sort();
    assert.deepEqual(got, [
      ['oldtrk-1000000000000-2', 'bad_app_id', 'x-1', 'x/../../etc'],
      ['oldtrk-1000000000000-2', 'lone_surrogate', 's-1', 'app-p'],
      ['oldtrk-1000000000000-2', 'lone_surrogate', 's-2', 'app-p'],
    ]);
    // The quarantined event keeps its exact text (JSON escapes the lone surrogate).
    assert.ok(q.some((f) => f.body.rows.some((x: Json) => x.event.device_id === 'sid\ud800')));
    assert.ok(q.every((f) => typeof f.body.offset === 'number' && f.key.includes('oldtrk-1000000000000-2@')));
    assert.match(metrics, /^sluice_pipeline_quarantined_rows_total\{reason="lone_surrogate"\} 2$/m);
    assert.match(metrics, /^sluice_pipeline_quarantined_rows_total\{reason="bad_app_id"\} 1$/m);
    assert.match(metrics, /^sluice_pipeline_quarantined_rows_total\{reason="undecodable_frame"\} 1$/m);
    const s2 = new SqliteStore({ path: dbPath });
    try {
      const health = await s2.quarantined({});
      assert.deepEqual(health.map((h) => [h.source, h.app_id, h.reason, h.row_count]).sort(), [['pipeline', '', 'undecodable_frame', 1], ['pipeline', 'app-p', 'lone_surrogate', 2], ['pipeline', 'x/../../etc', 'bad_app_id', 1]]);
    } finally {
      await s2.close();
    }
  });
});

describe('dedupe keys are injective over every string ingest accepts', () => {
  const base: KeyedEvent = { app_id: 'app', device_id: 'dev', seq: 1, type: 'custom', ts: 1_700_000_000_000, name: 'n' };
  /** What the jobs hash: the key's UTF-8 bytes as they sit in Parquet. */
  const stored = (k: string) => Buffer.from(k, 'utf8').toString('hex');
  const hashed = (k: string) => {
    const h = new Uint32Array(4);
    murmur128String(k, h);
    return [...h].join(',');
  };
  const distinct = (a: KeyedEvent, b: KeyedEvent, what: string) => {
    const ka = dedupeKey(a);
    const kb = dedupeKey(b);
    assert.notEqual(stored(ka), stored(kb), `${what}: the stored keys differ`);
    assert.notEqual(hashed(ka), hashed(kb), `${what}: the hashed keys differ`);
  };

  test('ids that differ only in a lone surrogate give different keys', () => {
    distinct({ ...base, device_id: 'sid\ud800', event_id: 'e' }, { ...base, device_id: 'sid\ud801', event_id: 'e' }, 'device');
    distinct({ ...base, event_id: 'e\udc00' }, { ...base, event_id: 'e\udfff' }, 'event id');
    distinct({ ...base, event_id: 'e\ud800' }, { ...base, event_id: 'e\ufffd' }, 'a lone surrogate and U+FFFD');
    distinct({ ...base, app_id: 'a\udbff' }, { ...base, app_id: 'a\ud800' }, 'app');
  });

  test('a NUL or backslash inside an id cannot move the boundary between app, device and event id', () => {
    distinct({ ...base, app_id: 'a\u0000b', device_id: 'c', event_id: 'e' }, { ...base, app_id: 'a', device_id: 'b\u0000c', event_id: 'e' }, 'app/device');
    distinct({ ...base, device_id: 'd\u0000id:e1', event_id: 'e2' }, { ...base, device_id: 'd', event_id: 'e1\u0000id:e2' }, 'device/event id');
    distinct({ ...base, device_id: 'd\\0', event_id: 'e' }, { ...base, device_id: 'd\u0000', event_id: 'e' }, 'escape look-alikes');
    distinct({ ...base, device_id: 'd\\ud800', event_id: 'e' }, { ...base, device_id: 'd\ud800', event_id: 'e' }, 'escape look-alikes of surrogates');
  });

  test('the fingerprint of id-less events tells apart lone surrogates, NUL and look-alike props', () => {
    const fp = (e: KeyedEvent) => fingerprint(e);
    assert.notEqual(fp({ ...base, props: { a: 'x\ud800' } }), fp({ ...base, props: { a: 'x\ud801' } }));
    assert.notEqual(fp({ ...base, name: 'n\udfff' }), fp({ ...base, name: 'n\ufffd' }));
    assert.notEqual(fp({ ...base, app_id: 'x\u0000a', device_id: 'b' }), fp({ ...base, app_id: 'x', device_id: 'a\u0000b' }));
    assert.notEqual(fp({ ...base, props: { a: 'b=string:c' } }), fp({ ...base, props: { 'a=string:b': 'c' } }));
    assert.notEqual(fp({ ...base, props: { a: 'x\u0000b=string:y' } }), fp({ ...base, props: { a: 'x', b: 'y' } }));
    assert.notEqual(fp({ ...base, name: 'n\u0000a=string:b' }), fp({ ...base, props: { a: 'b' } }));
    // Ordinary ids and props keep the keys an existing dedupe state holds (values of the code before the fix).
    assert.equal(dedupeKey({ ...base, event_id: '01J8X3' }), 'app\u0000dev\u0000id:01J8X3');
    assert.equal(fp({ ...base, props: { k: 'v', n: 2, ü: 'é😀' } }), 'fp:AaKtt5tSK3tUl7e1JNe1NhKyCpk');
    assert.equal(fp({ ...base, type: 'ad_click', name: undefined, campaign_id: 'c1', creative_id: 'cr', slot_id: 's' }), 'fp:JF-kg9VBeQSbDn-D-u_1G8hbKiI');
  });

  test('two events whose ids only collide through a NUL both reach the store through pipeline and jobs', async () => {
    const dir = tmp('sec-nul');
    try {
      const lakeDir = join(dir, 'lake');
      const { store, dbPath } = await newStore(dir);
      const e = (id: string, seq: number, device: string): Ev => ({ event_id: id, seq, type: 'app_open', ts: at(D1, 8, seq), device_id: device });
      // (device "d\0id:e1", event "e2") and (device "d", event "e1\0id:e2"): one key before the fix.
      writeOldSegment(lakeDir, 'oldtrk-1000000000000-3', [{ device: { app_id: 'app-n', platform: 'ios' }, events: [e('e2', 1, 'd\u0000id:e1'), e('e1\u0000id:e2', 1, 'd'), e('e3', 2, 'd')] }]);
      await runPipelineOnce(lakeDir, dbPath);
      try {
        // One dedupe partition, so the two devices' keys meet (with 16 they usually sit apart).
        const r = await runEvents(lakeDir, store, join(dir, 'state'), { dedupePartitions: 1 });
        assert.equal(r.status, 'succeeded', r.error ?? '');
        assert.equal(r.stats.duplicates, 0);
        const [d] = await store.appDaily('app-n', D1, D1);
        assert.equal(d?.app_open, 3);
        assert.equal(d?.devices, 2);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a replayed beacon', () => {
  test('the same impression beacon taken again after a tracking restart and on another tracking node is one impression in the store', async () => {
    const dir = tmp('sec-beacon');
    try {
      const lakeDir = join(dir, 'lake');
      const { store, dbPath } = await newStore(dir);
      const secret = 'a-beacon-secret-for-tests';
      const token = signDecision({ d: 'dec-42', app: 'app-z', slot: 'slot-1', device: 'dev-z', campaign: 'cmp-1', creative: 'cr-1', line_item: 'li-1', iat: Date.now(), exp: Date.now() + HOUR_MS }, secret);
      const hit = async (url: string) => assert.equal((await fetch(`${url}/v1/b/imp?t=${encodeURIComponent(token)}`)).status, 204);
      const node = (id: string) => startTestTracking({ dataDir: join(dir, id), lakeDir, nodeId: id, beaconSecret: secret, appKeysFromStore: false, shipIntervalMs: 3_600_000 });
      const ship = async (n: Awaited<ReturnType<typeof node>>) => {
        await n.segments.roll();
        await n.shipper.shipOnce();
        await n.close();
      };
      // Node A takes it, restarts (its replay memory is gone) and takes it again; node B takes it too.
      let a = await node('trk_a');
      await hit(a.url);
      await ship(a);
      a = await node('trk_a');
      await hit(a.url);
      await ship(a);
      const b = await node('trk_b');
      await hit(b.url);
      await ship(b);
      await runPipelineOnce(lakeDir, dbPath);
      const ids = (await duck(lakeDir, (e) => `select event_id, count(*) from ${e} group by event_id`)) as [string, bigint][];
      assert.deepEqual(ids.map(([id, n]) => [id, Number(n)]), [['beacon:impression:dec-42', 3]], 'every copy reaches the lake with one event id');
      try {
        const r = await runEvents(lakeDir, store, join(dir, 'state'));
        assert.equal(r.status, 'succeeded', r.error ?? '');
        assert.equal(r.stats.duplicates, 2);
        const days = await store.appDaily('app-z', utcDay(Date.now() - DAY_MS), utcDay(Date.now() + DAY_MS));
        assert.equal(days.reduce((s, d) => s + d.ad_impression, 0), 1);
        const ads = await store.campaignHourly({ app_id: 'app-z', fromHour: Date.now() - DAY_MS, toHour: Date.now() + DAY_MS });
        assert.equal(ads.reduce((s, a) => s + a.impressions, 0), 1);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
