/**
 * bench:pipeline — a fleet's uploads (default 5M events) as sealed segments in a local lake,
 * through `sluice pipeline`'s stages (decode and encode on worker pools, memoised enrich), and
 * in the same run the same work in one thread without stages. Prints events/s end to end,
 * peak RSS of each, the limit (gunzip + JSON.parse alone over the same frames on all cores) with
 * the ratios to it, and the Parquet bytes against the raw JSON bytes, beside the goals of issue 15.
 * Usage: npm run bench:pipeline [-- --events 5000000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../common/logger.js';
import { FRAME_HEADER, scanSegment } from '../common/segment-format.js';
import { fleetSegments } from './fleet-lake.js';
import { LocalLake } from '../lake/local-lake.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startPipeline } from '../pipeline/run.js';
import { emptyDict, Enricher } from '../pipeline/enricher.js';
import decode from '../pipeline/decode-worker.js';
import type { RowChunk } from '../pipeline/row-columns.js';
import encode from '../pipeline/encode-worker.js';
import { parseLimit } from './parse-limit.js';
import { pipelineSchema } from '../pipeline/options.js';
import { Value } from '@sinclair/typebox/value';

/** The pipeline's own defaults, so the bench measures what `sluice pipeline` runs. */
const defaults = Value.Default(pipelineSchema, {}) as { maxBufferedRows: number; batchFrames: number; segmentConcurrency: number };

const { values } = parseArgs({ options: { 'decode-threads': { type: 'string', default: String(cpus().length) }, 'encode-threads': { type: 'string', default: String(cpus().length) }, 'buffered-rows': { type: 'string', default: String(defaults.maxBufferedRows) }, 'batch-frames': { type: 'string', default: String(defaults.batchFrames) }, 'segment-concurrency': { type: 'string', default: String(defaults.segmentConcurrency) }, 'skip-single': { type: 'boolean', default: false }, 'segment-mb': { type: 'string', default: '64' }, events: { type: 'string', default: '5000000' }, mode: { type: 'string', default: '' }, dir: { type: 'string', default: '' } } });
const self = fileURLToPath(import.meta.url);
/** Segment size, as tracking's --roll-mb: 64 MB by default. */
const SEGMENT_BYTES = Number(values['segment-mb']) * 1e6;

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? du(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

if (values.mode === 'stages' || values.mode === 'single') {
  // One measured run, in its own process so its peak RSS is its own.
  const dir = values.dir!;
  const lakeDir = join(dir, `lake-${values.mode}`);
  const store = new SqliteStore({ path: join(dir, 'sluice.db') });
  const lake = new LocalLake({ dir: lakeDir });
  const t0 = performance.now();
  let events = 0;
  let hitRatio = 0;
  if (values.mode === 'stages') {
    const p = await startPipeline({ host: '127.0.0.1', port: 0, pollIntervalMs: 60_000, decodeThreads: Number(values['decode-threads']), encodeThreads: Number(values['encode-threads']), enrichConcurrency: 4, batchFrames: Number(values['batch-frames']), queueCapacity: 8, maxRowsPerFile: 200_000, maxBufferedRows: Number(values['buffered-rows']), segmentConcurrency: Number(values['segment-concurrency']) }, lake, store, createLogger('bench', 'warn'), false);
    for (const r of await p.runOnce()) events += r.events;
    hitRatio = p.enricher.hitRatio;
    const m = await (await fetch(`${p.url}/metrics`)).text();
    console.error(m.split('\n').filter((l) => l.startsWith('sluice_pipeline_stage_') || l.includes('hit_ratio')).join('\n'));
    await p.close();
  } else {
    // The stages' work in this one thread: decode batches, enrich, a file per partition (no pools, no queues, no copies).
    const enricher = new Enricher(store);
    for (const { key } of await lake.list('segments/')) {
      const name = key.slice(key.lastIndexOf('/') + 1, -4);
      const buf = await lake.get(key);
      const parts = new Map<string, RowChunk[]>();
      const dict = emptyDict();
      let frames: { offset: number; start: number; length: number }[] = [];
      const run = async (): Promise<void> => {
        const out = decode({ segment: name, data: buf, frames });
        await enricher.resolve(out, dict);
        for (const c of out.chunks) {
          let list = parts.get(c.part);
          if (!list) parts.set(c.part, (list = []));
          list.push(c);
          events += c.n;
        }
        frames = [];
      };
      for (const item of scanSegment(buf)) {
        if (!item.ok) continue;
        frames.push({ offset: item.offset, start: item.offset + FRAME_HEADER, length: buf.readUInt32LE(item.offset) });
        if (frames.length >= Number(values['batch-frames'])) await run();
      }
      if (frames.length > 0) await run();
      for (const [part, chunks] of parts) {
        const { bytes } = encode({ chunks, dict });
        await lake.put(`events/${part}/${name}-p0.parquet`, Buffer.from(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength));
      }
    }
  }
  const s = (performance.now() - t0) / 1000;
  await store.close();
  console.log(JSON.stringify({ events, seconds: s, rssMb: process.resourceUsage().maxRSS / 1024, parquetBytes: du(join(lakeDir, 'events')), hitRatio }));
  process.exit(0);
}

const target = Number(values.events);
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-pipe-'));
console.log(`bench:pipeline — preparing ~${target.toLocaleString('en')} events as sealed segments...`);
const seedLake = join(dir, 'lake-stages');
const { fleet, segments: segN } = await fleetSegments(dir, seedLake, join(dir, 'sluice.db'), target, SEGMENT_BYTES);
execFileSync('cp', ['-r', seedLake, join(dir, 'lake-single')]);
console.log(`${fleet.truth.totals.sent.toLocaleString('en')} events in ${segN} segments; raw JSON ${(fleet.rawBytes / 1e6).toFixed(0)} MB, gzip ${(fleet.bytes / 1e6).toFixed(0)} MB`);

const pass = ['--decode-threads', values['decode-threads']!, '--encode-threads', values['encode-threads']!, '--buffered-rows', values['buffered-rows']!, '--batch-frames', values['batch-frames']!, '--segment-concurrency', values['segment-concurrency']!];
const threads = cpus().length;
const lim = await parseLimit(join(seedLake, 'segments'), threads);
const limRate = lim.events / lim.seconds;
console.log(`limit, gunzip + JSON.parse alone on ${threads} threads: ${Math.round(limRate).toLocaleString('en')} events/s (${lim.events.toLocaleString('en')} in ${lim.seconds.toFixed(1)} s)`);
const run = (mode: string) => JSON.parse(execFileSync(process.execPath, [self, '--mode', mode, '--dir', dir, ...pass], { encoding: 'utf8' }).trim().split('\n').pop()!) as { events: number; seconds: number; rssMb: number; parquetBytes: number; hitRatio: number };
const st = run('stages');
const stRate = st.events / st.seconds;
console.log(`stages (${values['decode-threads']} decode + ${values['encode-threads']} encode threads, ${values['buffered-rows']} rows buffered): ${Math.round(st.events / st.seconds).toLocaleString('en')} events/s (${st.events.toLocaleString('en')} in ${st.seconds.toFixed(1)} s), peak RSS ${st.rssMb.toFixed(0)} MB, enrich cache hit ratio ${(100 * st.hitRatio).toFixed(2)}%`);
if (!values['skip-single']) {
  const si = run('single');
  console.log(`one thread, no stages:    ${Math.round(si.events / si.seconds).toLocaleString('en')} events/s (${si.events.toLocaleString('en')} in ${si.seconds.toFixed(1)} s), peak RSS ${si.rssMb.toFixed(0)} MB`);
  console.log(`stages / one thread: ${(si.seconds / st.seconds).toFixed(2)}x; one thread / limit: ${((100 * si.events) / si.seconds / limRate).toFixed(1)}%`);
}
const pct = (100 * st.parquetBytes) / fleet.rawBytes;
console.log(`stages / limit: ${((100 * stRate) / limRate).toFixed(1)}%`);
console.log(`Parquet ${(st.parquetBytes / 1e6).toFixed(0)} MB vs raw JSON ${(fleet.rawBytes / 1e6).toFixed(0)} MB: ${pct.toFixed(1)}% of it`);
// Issue 15's goals, so a run says at a glance where it stands (the machine's load skews every rate).
console.log(`goals: >= 400k events/s end to end ${stRate >= 400_000 ? 'met' : 'NOT met'}; Parquet <= 25% of raw JSON ${pct <= 25 ? 'met' : 'NOT met'}; peak RSS <= 1 GB ${st.rssMb <= 1024 ? 'met' : 'NOT met'} (load average ${loadavg()[0]!.toFixed(1)} on ${threads} cores)`);
rmSync(dir, { recursive: true, force: true });
