import { startMetricsServer } from '../common/metrics-server.js';
import { Piscina } from 'piscina';
import type { Logger } from '../common/logger.js';
import type { Lake } from '../lake/lake.js';
import { Enricher, type EnrichStore } from './enricher.js';
import { PipelineErrorCode } from './errors.js';
import { LEASE_DEFAULTS, newHolderId, SegmentLeases, type LeaseStore } from './segment-lease.js';
import { checkpointKey, processSegment, segmentName, type SegmentResult } from './segment-processor.js';
import type { StageStats } from './stage.js';

export interface PipelineOptions {
  host: string;
  port: number;
  pollIntervalMs: number;
  decodeThreads: number;
  encodeThreads: number;
  enrichConcurrency: number;
  batchFrames: number;
  queueCapacity: number;
  maxRowsPerFile: number;
  maxBufferedRows: number;
  /** Segments in flight at once: one decodes while another encodes, so both pools stay busy. */
  segmentConcurrency: number;
  /** A segment's lease lasts this long unless renewed; a dead holder's segment is taken over after it. */
  leaseMs?: number;
  /** How often a held lease is renewed (at most half of leaseMs). */
  leaseRenewMs?: number;
}

/** What the pipeline needs of the report store: enrichment look-ups and the segment leases. */
type PipelineStore = EnrichStore & LeaseStore;

interface RunningPipeline {
  url: string;
  /**
   * Processes every sealed segment not yet done; resolves with what it did. Without the poll
   * loop it also waits for segments other processes hold, until they finish them or die.
   */
  runOnce(): Promise<SegmentResult[]>;
  enricher: Enricher;
  /** This process's lease holder id. */
  holder: string;
  close(): Promise<void>;
}

/** One running pipeline: its pools, counts and leases, and the state of its passes. */
interface Pipeline {
  o: PipelineOptions;
  lake: Lake;
  store: PipelineStore;
  log: Logger;
  poll: boolean;
  decodePool: Piscina;
  encodePool: Piscina;
  enricher: Enricher;
  stats: { decode: StageStats; enrich: StageStats; encode: StageStats };
  totals: { segments: number; events: number; corrupt: number; files: number; failures: number };
  quarantined: Map<string, number>;
  running: Promise<SegmentResult[]> | null;
  inProgress: Set<string>;
  holder: string;
  leases: SegmentLeases;
  closing: boolean;
  timer: NodeJS.Timeout | null;
}

/** One round of a pass: the segments left to claim, and what the workers found. */
interface Round {
  todo: string[];
  done: SegmentResult[];
  heldElsewhere: string[];
  failed: unknown;
}

function newPipeline(o: PipelineOptions, lake: Lake, store: PipelineStore, log: Logger, poll: boolean): Pipeline {
  // Threads stay up between tasks: with minThreads below maxThreads, piscina ended idle threads
  // and started new ones (module loading each time), which made a file cost 430 ms, not 30.
  const pool = (file: string, threads: number) => new Piscina({ filename: new URL(file, import.meta.url).href, maxThreads: threads, minThreads: threads, idleTimeout: 60_000 });
  const decodePool = pool('./decode-worker.js', o.decodeThreads);
  const encodePool = pool('./encode-worker.js', o.encodeThreads);
  const enricher = new Enricher(store);
  const stats = {
    decode: { name: 'decode', concurrency: o.decodeThreads, items: 0, busyMs: 0, queue: null } as StageStats,
    enrich: { name: 'enrich', concurrency: o.enrichConcurrency, items: 0, busyMs: 0, queue: null } as StageStats,
    encode: { name: 'encode', concurrency: o.encodeThreads, items: 0, busyMs: 0, queue: null } as StageStats,
  };
  const totals = { segments: 0, events: 0, corrupt: 0, files: 0, failures: 0 };
  const holder = newHolderId();
  const leases = new SegmentLeases(store, holder, o.leaseMs ?? LEASE_DEFAULTS.leaseMs, o.leaseRenewMs ?? LEASE_DEFAULTS.leaseRenewMs, log);
  return {
    o, lake, store, log, poll, decodePool, encodePool, enricher, stats, totals,
    quarantined: new Map(), running: null, inProgress: new Set(), holder, leases, closing: false, timer: null,
  };
}

async function pass(p: Pipeline): Promise<SegmentResult[]> {
  const { o, lake, log } = p;
  const done: SegmentResult[] = [];
  const sealed = (await lake.list('segments/')).filter((x) => x.key.endsWith('.seg')).map((x) => x.key);
  // Oldest first: names carry the node and the opening time.
  sealed.sort((a, b) => (segmentName(a).split('-').at(-2)! < segmentName(b).split('-').at(-2)! ? -1 : 1));
  for (;;) {
    // Checkpoints listed once per round, not asked about segment by segment.
    const finished = new Set((await lake.list('_checkpoints/')).map((x) => x.key.slice('_checkpoints/'.length).replace(/\.json$/, '')));
    const todo = sealed.filter((key) => !finished.has(segmentName(key)) && !p.inProgress.has(segmentName(key)));
    const round: Round = { todo, done, heldElsewhere: [], failed: null };
    // Every worker finishes before the round settles, so a new pass never meets a segment an old one still holds.
    await Promise.allSettled(Array.from({ length: o.segmentConcurrency }, () => worker(p, round)));
    if (round.failed !== null) throw round.failed;
    // The poll loop comes back anyway; runOnce waits for the others' segments (done, or taken over when their holder dies).
    if (round.heldElsewhere.length === 0 || p.poll || p.closing) break;
    log.debug({ segments: round.heldElsewhere.length }, 'segments held by other pipelines; waiting for them');
    await new Promise((r) => setTimeout(r, Math.min(o.pollIntervalMs, p.leases.renewMs)));
  }
  return done;
}

/** Claims and processes the round's segments one after another, until none is left or one fails. */
async function worker(p: Pipeline, round: Round): Promise<void> {
  const { lake, log, inProgress } = p;
  for (let key = round.todo.shift(); key !== undefined && round.failed === null; key = round.todo.shift()) {
    const name = segmentName(key);
    const lease = await p.leases.claim(name).catch((err: unknown) => void (round.failed ??= err));
    if (lease === undefined) break;
    if (lease === null) {
      round.heldElsewhere.push(name);
      continue;
    }
    inProgress.add(name);
    try {
      // Finished by another process since the listing (its checkpoint comes before its release).
      if (await lake.exists(checkpointKey(name))) continue;
      round.done.push(await processOne(p, key, () => lease.confirm()));
    } catch (err) {
      if ((err as { code?: unknown }).code === PipelineErrorCode.LEASE_LOST) log.warn({ segment: name }, 'segment dropped: its lease was lost before the commit');
      else round.failed ??= err;
    } finally {
      inProgress.delete(name);
      await lease.release().catch((err: unknown) => log.warn({ segment: name, err: (err as Error).message }, 'could not release a segment lease; it expires on its own'));
    }
  }
}

async function processOne(p: Pipeline, key: string, beforeCommit: () => Promise<void>): Promise<SegmentResult> {
  const { o, lake, store, log, totals, quarantined } = p;
  const r = await processSegment(key, {
    lake, decodePool: p.decodePool, encodePool: p.encodePool, enricher: p.enricher, log, batchFrames: o.batchFrames, decodeConcurrency: o.decodeThreads,
    enrichConcurrency: o.enrichConcurrency, encodeConcurrency: o.encodeThreads, queueCapacity: o.queueCapacity, maxRowsPerFile: o.maxRowsPerFile, maxBufferedRows: o.maxBufferedRows, stats: p.stats,
    recordQuarantine: store.recordQuarantine?.bind(store), attempt: p.holder, beforeCommit,
  });
  totals.segments++;
  totals.events += r.events;
  totals.corrupt += r.corrupt;
  totals.files += r.files.length;
  for (const [reason, n] of Object.entries(r.quarantined)) quarantined.set(reason, (quarantined.get(reason) ?? 0) + n);
  log.info({ segment: r.segment, frames: r.frames, corrupt: r.corrupt, events: r.events, quarantined: r.quarantined, files: r.files.length, ms: Math.round(r.ms), eventsPerSecond: Math.round(r.events / (r.ms / 1000)) }, 'segment done');
  return r;
}

function metrics(p: Pipeline): string {
  const { stats, totals, leases } = p;
  const L = ['# TYPE sluice_pipeline_stage_items_total counter', '# TYPE sluice_pipeline_stage_busy_seconds_total counter'];
  for (const s of Object.values(stats)) {
    L.push(`sluice_pipeline_stage_items_total{stage="${s.name}"} ${s.items}`, `sluice_pipeline_stage_busy_seconds_total{stage="${s.name}"} ${s.busyMs / 1000}`, `sluice_pipeline_stage_concurrency{stage="${s.name}"} ${s.concurrency}`);
  }
  L.push('# HELP sluice_pipeline_stage_queue_depth batches waiting in front of each stage');
  for (const s of Object.values(stats)) L.push(`sluice_pipeline_stage_queue_depth{stage="${s.name}"} ${s.queue?.depth ?? 0}`);
  L.push(`sluice_pipeline_decode_pool_queue_depth ${p.decodePool.queueSize}`, `sluice_pipeline_encode_pool_queue_depth ${p.encodePool.queueSize}`);
  L.push(`sluice_pipeline_segments_total ${totals.segments}`, `sluice_pipeline_events_total ${totals.events}`, `sluice_pipeline_corrupt_frames_total ${totals.corrupt}`, `sluice_pipeline_files_total ${totals.files}`, `sluice_pipeline_failures_total ${totals.failures}`);
  L.push(`sluice_pipeline_enrich_cache_hit_ratio ${p.enricher.hitRatio}`);
  L.push('# HELP sluice_pipeline_segments_claimed_total segment leases this process took (free, or taken over)', '# TYPE sluice_pipeline_segments_claimed_total counter', `sluice_pipeline_segments_claimed_total ${leases.counts.claimed}`);
  L.push('# HELP sluice_pipeline_leases_taken_over_total segments taken over from a holder that stopped renewing its lease', '# TYPE sluice_pipeline_leases_taken_over_total counter', `sluice_pipeline_leases_taken_over_total ${leases.counts.takenOver}`);
  L.push('# HELP sluice_pipeline_leases_lost_total segments whose lease this process lost before the commit (work dropped)', '# TYPE sluice_pipeline_leases_lost_total counter', `sluice_pipeline_leases_lost_total ${leases.counts.lost}`);
  L.push('# HELP sluice_pipeline_quarantined_rows_total events the Parquet writer cannot take (and undecodable frames), set aside in the lake quarantine', '# TYPE sluice_pipeline_quarantined_rows_total counter');
  for (const [reason, n] of p.quarantined) L.push(`sluice_pipeline_quarantined_rows_total{reason="${reason}"} ${n}`);
  return L.join('\n') + '\n';
}

/** One pass at a time: a call during a pass gets that pass. */
function runOnce(p: Pipeline): Promise<SegmentResult[]> {
  p.running ??= pass(p).finally(() => (p.running = null));
  return p.running;
}

/** The poll loop: a pass, then the next one pollIntervalMs after it ends, until close. */
function startPolling(p: Pipeline): void {
  const tick = () => {
    runOnce(p).catch((err: unknown) => {
      p.totals.failures++;
      p.log.error({ err: (err as Error).message }, 'pipeline pass failed; will retry');
    }).finally(() => {
      if (p.timer) p.timer = setTimeout(tick, p.o.pollIntervalMs);
    });
  };
  p.timer = setTimeout(tick, 0);
}

/** Starts the pipeline: worker pools, a metrics endpoint, and (unless driven by runOnce) a poll loop. */
export async function startPipeline(o: PipelineOptions, lake: Lake, store: PipelineStore, log: Logger, poll = true): Promise<RunningPipeline> {
  const p = newPipeline(o, lake, store, log, poll);
  const server = await startMetricsServer(o.host, o.port, () => metrics(p), () => p.totals);
  const url = server.url;
  if (poll) startPolling(p);
  return {
    url, runOnce: () => runOnce(p), enricher: p.enricher, holder: p.holder,
    async close() {
      p.closing = true;
      if (p.timer) clearTimeout(p.timer);
      p.timer = null;
      await p.running?.catch(() => undefined);
      await server.close();
      await Promise.all([p.decodePool.destroy(), p.encodePool.destroy()]);
    },
  };
}
