import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dedupeKey, type KeyedEvent } from '../common/dedupe-key.js';
import { frameEvents } from '../common/segment-events.js';
import { FRAME_HEADER, SEGMENT_MAGIC, scanSegment } from '../common/segment-format.js';
import { correctedTs } from '../common/skew.js';
import { utcDay } from '../common/time.js';
import { duck, fleetLake, runPipelineOnce } from './helpers/pipeline.js';

/** What went in, recounted from the segments with the common reader: rows per app and day, and their keys. */
function expected(lakeDir: string): { perPartition: Map<string, number>; keys: string[] } {
  const perPartition = new Map<string, number>();
  const keys: string[] = [];
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const file of walk(join(lakeDir, 'segments'))) {
    for (const item of scanSegment(readFileSync(file))) {
      if (!item.ok) continue;
      for (const e of frameEvents(item.frame)) {
        const t = correctedTs(e.ts as number, e.sent_at as number | undefined, item.frame.receivedAt);
        const k = `${e.app_id}|${utcDay(t)}`;
        perPartition.set(k, (perPartition.get(k) ?? 0) + 1);
        keys.push(dedupeKey(e as unknown as KeyedEvent));
      }
    }
  }
  return { perPartition, keys: keys.sort() };
}

describe('the enrichment pipeline', () => {
  let fx: Awaited<ReturnType<typeof fleetLake>>;
  before(async () => {
    fx = await fleetLake();
  });
  after(() => rmSync(fx.dir, { recursive: true, force: true }));

  test('writes Parquet that DuckDB reads back with exactly the rows that went in per partition, enriched', async () => {
    assert.ok(fx.segments.length >= 2, 'several segments');
    const want = expected(fx.lakeDir);
    const { done, hitRatio, metrics } = await runPipelineOnce(fx.lakeDir, fx.dbPath);
    assert.equal(done.length, fx.segments.length);
    const rows = await duck(fx.lakeDir, (ev) => `select app_id, dt, count(*) from ${ev} group by all`);
    const got = new Map(rows.map(([a, d, n]) => [`${a}|${d}`, Number(n)]));
    assert.deepEqual(got, want.perPartition);
    const keys = (await duck(fx.lakeDir, (ev) => `select dedupe_key from ${ev}`)).map((r) => r[0] as string).sort();
    assert.deepEqual(keys, want.keys);
    // Files sit in the partition of their rows.
    const misplaced = await duck(fx.lakeDir, () => `select count(*) from read_parquet('${join(fx.lakeDir, 'events')}/**/*.parquet', filename = true) where filename not like '%app_id=' || app_id || '/dt=' || dt || '/%'`);
    assert.equal(Number(misplaced[0]![0]), 0);
    const [[unflagged, noClass, noCountry, adNoAdv, unknownApp] = []] = (await duck(fx.lakeDir, (ev) => `select
      count(*) filter (where app_name is null and coalesce(flags, '') not like '%unknown_app%'),
      count(*) filter (where device_class is null),
      count(*) filter (where (country is not null and country_name is null) or (region is not null and region_name is null)),
      count(*) filter (where campaign_id is not null and advertiser_id is null and coalesce(flags, '') not like '%unknown_campaign%'),
      count(*) filter (where flags like '%unknown_app%') from ${ev}`)) as bigint[][];
    assert.deepEqual([unflagged, noClass, noCountry, adNoAdv].map(Number), [0, 0, 0, 0]);
    assert.ok(Number(unknownApp) > 0, 'events of an app the store does not know are kept and flagged');
    const [[linked] = []] = (await duck(fx.lakeDir, (ev) => `select count(*) from ${ev} where creative_id is not null and line_item_id is not null and publisher_id is not null`)) as bigint[][];
    assert.ok(Number(linked) > 0, 'creatives resolve to line items');
    assert.ok(hitRatio >= 0.95, `memoiser hit ratio ${hitRatio}`);
    assert.match(metrics, /sluice_pipeline_stage_items_total\{stage="encode"\} [1-9]/);
    assert.match(metrics, /sluice_pipeline_enrich_cache_hit_ratio 0\.9/);
    assert.match(metrics, /sluice_pipeline_stage_queue_depth\{stage="decode"\} \d/);
    const [[ca] = []] = (await duck(fx.lakeDir, (ev) => `select count(*) from ${ev} where country = 'US' and region = 'CA' and region_name = 'California'`)) as bigint[][];
    assert.ok(Number(ca) > 0, 'regions get their names');
    const again = await runPipelineOnce(fx.lakeDir, fx.dbPath);
    assert.equal(again.done.length, 0, 'each segment is processed exactly once');
  });

  test('quarantines a corrupt frame with its segment and offset and keeps the rest of the segment', async () => {
    const lakeDir = join(fx.dir, 'lake-corrupt');
    cpSync(fx.lakeDir, lakeDir, { recursive: true, filter: (src) => !/[/\\](events|_checkpoints)$/.test(src) });
    const file = join(lakeDir, fx.segments[0]!);
    const buf = readFileSync(file);
    const items = [...scanSegment(buf)];
    const victim = items[Math.floor(items.length / 2)]!;
    assert.ok(victim.ok);
    const victimEvents = frameEvents(victim.frame).length;
    // Count before the flip: frames are views into the same buffer.
    const before = items.filter((x) => x.ok).reduce((n, x) => n + (x.ok ? frameEvents(x.frame).length : 0), 0);
    buf[victim.offset + FRAME_HEADER + 30]! ^= 0xff;
    writeFileSync(file, buf);
    const { done } = await runPipelineOnce(lakeDir, fx.dbPath);
    const r = done.find((d) => fx.segments[0]!.includes(d.segment))!;
    assert.equal(r.corrupt, 1);
    assert.equal(r.events, before - victimEvents);
    const q = join(lakeDir, 'quarantine', `${r.segment}@${victim.offset}.bin`);
    assert.ok(existsSync(q), 'the frame is kept aside, named by segment and offset');
    assert.ok(readFileSync(q).length > SEGMENT_MAGIC.length);
  });

  test('fails a pass cleanly when the lake refuses writes, and the next pass does the segments exactly once', async () => {
    const lakeDir = join(fx.dir, 'lake-refusing');
    cpSync(fx.lakeDir, lakeDir, { recursive: true, filter: (src) => !/[/\\](events|_checkpoints|quarantine|_staging|_commits)$/.test(src) });
    // A file where the staging directory must go: every staged put fails, for real.
    writeFileSync(join(lakeDir, '_staging'), 'in the way');
    await assert.rejects(runPipelineOnce(lakeDir, fx.dbPath));
    rmSync(join(lakeDir, '_staging'));
    const { done } = await runPipelineOnce(lakeDir, fx.dbPath);
    assert.equal(done.length, fx.segments.length);
    const want = expected(lakeDir);
    const rows = await duck(lakeDir, (ev) => `select app_id, dt, count(*) from ${ev} group by all`);
    assert.deepEqual(new Map(rows.map(([a, d, n]) => [`${a}|${d}`, Number(n)])), want.perPartition);
  });
});
