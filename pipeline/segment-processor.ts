import type { Piscina } from 'piscina';
import type { Logger } from '../common/logger.js';
import { FRAME_HEADER, scanSegment } from '../common/segment-format.js';
import type { Lake } from '../lake/lake.js';
import type { DecodeTask, DecodedBatch } from './decode-worker.js';
import type { EncodeResult, EncodeTask } from './encode-worker.js';
import { emptyDict, type EnrichDict, type Enricher } from './enricher.js';
import type { QuarantinedRow } from './row.js';
import { sliceChunk, type RowChunk } from './row-columns.js';
import { BoundedQueue, runStage, type StageStats } from './stage.js';
import { chunkBuffers } from './transfer.js';
import type { QuarantineRow } from '../store/facts.js';

interface ProcessorOptions {
  lake: Lake;
  decodePool: Piscina;
  encodePool: Piscina;
  enricher: Enricher;
  log: Logger;
  /** Frames per decode task. */
  batchFrames: number;
  decodeConcurrency: number;
  enrichConcurrency: number;
  encodeConcurrency: number;
  queueCapacity: number;
  maxRowsPerFile: number;
  /** Rows held for partitions at most; past it the largest partitions are written early. */
  maxBufferedRows: number;
  stats: { decode: StageStats; enrich: StageStats; encode: StageStats };
  /** Records quarantined rows for data health (the report store); a failure is logged, the lake files stay. */
  recordQuarantine?: (rows: QuarantineRow[]) => Promise<void>;
  /** Who works on the segment (the lease holder): files stage under `_staging/SEGMENT/ATTEMPT/`, apart from a stale holder's. */
  attempt?: string;
  /** The fence before the commit: throws unless this process still holds the segment's lease. */
  beforeCommit?: () => Promise<void>;
}

export interface SegmentResult {
  segment: string;
  frames: number;
  corrupt: number;
  events: number;
  files: string[];
  /** Events (and undecodable frames, as 'undecodable_frame') set aside in the quarantine, by reason. */
  quarantined: Record<string, number>;
  ms: number;
}

export const segmentName = (key: string): string => key.slice(key.lastIndexOf('/') + 1).replace(/\.seg$/, '');
export const checkpointKey = (name: string): string => `_checkpoints/${name}.json`;
const commitKey = (name: string): string => `_commits/${name}.json`;

/** The chunks buffered for a partition's next file, and their rows. */
interface Partition {
  chunks: RowChunk[];
  n: number;
}

/** A frame's place in the segment: its offset, and where its payload starts and how long it is. */
interface FrameRef {
  offset: number;
  start: number;
  length: number;
}

/** One run over one segment: what its stages share and what they count. */
interface SegmentRun {
  o: ProcessorOptions;
  lake: Lake;
  name: string;
  buf: Buffer;
  decodeQ: BoundedQueue<DecodeTask>;
  enrichQ: BoundedQueue<DecodedBatch>;
  writeQ: BoundedQueue<DecodedBatch>;
  /** What the store said of every id this segment mentions; it travels with each file to encode. */
  dict: EnrichDict;
  staged: { staged: string; final: string }[];
  /** Per partition, the chunks buffered for its next file and their rows. */
  partitions: Map<string, Partition>;
  /** Per partition, the files written so far. */
  parts: Map<string, number>;
  frames: number;
  corrupt: number;
  events: number;
  /** Rows held in `partitions`. */
  buffered: number;
  inflight: Set<Promise<void>>;
  quarantined: Record<string, number>;
  records: Map<string, QuarantineRow>;
}

/** Undoes what an earlier, unfinished run of the segment left: a half-done commit's files and the staging prefix. */
async function cleanUp(lake: Lake, name: string): Promise<void> {
  const old = await lake.exists(commitKey(name)) ? (JSON.parse((await lake.get(commitKey(name))).toString()) as { files: string[] }).files : [];
  for (const f of old) await lake.delete(f);
  for (const obj of await lake.list(`_staging/${name}/`)) await lake.delete(obj.key);
}

function newRun(o: ProcessorOptions, name: string, buf: Buffer): SegmentRun {
  const r: SegmentRun = {
    o, lake: o.lake, name, buf,
    decodeQ: new BoundedQueue<DecodeTask>(o.queueCapacity),
    enrichQ: new BoundedQueue<DecodedBatch>(o.queueCapacity),
    writeQ: new BoundedQueue<DecodedBatch>(o.queueCapacity),
    dict: emptyDict(),
    staged: [], partitions: new Map(), parts: new Map(),
    frames: 0, corrupt: 0, events: 0, buffered: 0,
    inflight: new Set(), quarantined: {}, records: new Map(),
  };
  // The live queues, for /metrics (with several segments in flight, the latest one's).
  o.stats.decode.queue = r.decodeQ as BoundedQueue<unknown>;
  o.stats.enrich.queue = r.enrichQ as BoundedQueue<unknown>;
  o.stats.encode.queue = r.writeQ as BoundedQueue<unknown>;
  return r;
}

/**
 * Sets a frame's unwritable events aside as quarantine/SEGMENT@OFFSET.json (the same key on a
 * rerun), and an undecodable frame's bytes as quarantine/SEGMENT@OFFSET.bin with its reason.
 */
async function setAside(r: SegmentRun, b: DecodedBatch): Promise<void> {
  const { lake, name, buf } = r;
  const byFrame = new Map<number, QuarantinedRow[]>();
  for (const q of b.quarantined) {
    let list = byFrame.get(q.offset);
    if (!list) byFrame.set(q.offset, (list = []));
    list.push(q);
  }
  const frames = [...byFrame].map(([offset, rows]) => ({ offset, rows, reason: null as string | null, problem: '' }));
  for (const f of b.badFrames) frames.push({ offset: f.offset, rows: [], reason: 'undecodable_frame', problem: f.problem });
  for (const f of frames) {
    const key = `quarantine/${name}@${f.offset}.json`;
    if (f.reason !== null) await lake.put(`quarantine/${name}@${f.offset}.bin`, buf.subarray(f.offset, f.offset + FRAME_HEADER + buf.readUInt32LE(f.offset)));
    // JSON.stringify writes a lone surrogate as \udXXX: the file is valid UTF-8 and keeps the exact text.
    await lake.put(key, Buffer.from(JSON.stringify({ source: 'pipeline', segment: name, offset: f.offset, reason: f.reason, problem: f.problem, rows: f.rows.map(({ offset: _, ...row }) => row) })));
    const items = f.reason !== null ? [{ reason: f.reason, problem: f.problem, app_id: null, day: null }] : f.rows;
    for (const q of items) countQuarantined(r, key, q);
    r.o.log.warn({ segment: name, offset: f.offset, events: f.rows.length, reason: f.reason ?? [...new Set(f.rows.map((row) => row.reason))].join(',') }, 'events the writer cannot take quarantined; the rest of the segment goes on');
  }
}

/** Counts one quarantined event (or frame) by reason, and in the record for data health. */
function countQuarantined(r: SegmentRun, key: string, q: { reason: string; problem: string; app_id: string | null; day: string | null }): void {
  r.quarantined[q.reason] = (r.quarantined[q.reason] ?? 0) + 1;
  const app = q.app_id !== null && q.app_id.isWellFormed() && [...q.app_id].length <= 64 ? q.app_id : '';
  const k = `${key}|${app}|${q.day ?? ''}|${q.reason}`;
  const e = r.records.get(k);
  if (e) e.row_count++;
  else r.records.set(k, { lake_key: key, source: 'pipeline', app_id: app, day: q.day ?? '', reason: q.reason, row_count: 1, detail: q.problem.slice(0, 1000).toWellFormed(), at: Date.now() });
}

async function flush(r: SegmentRun, part: string, chunks: RowChunk[]): Promise<void> {
  const { o, name } = r;
  const n = r.parts.get(part) ?? 0;
  r.parts.set(part, n + 1);
  const file = `${name}-p${n}.parquet`;
  const t = performance.now();
  // The chunks' buffers move to the worker and the file's bytes move back (no copies, no temp file).
  const { bytes } = (await o.encodePool.run({ chunks, dict: r.dict } satisfies EncodeTask, { transferList: chunkBuffers(chunks) })) as EncodeResult;
  o.stats.encode.busyMs += performance.now() - t;
  o.stats.encode.items++;
  const stagedKey = `_staging/${name}/${o.attempt ?? 'local'}/${part}/${file}`;
  await r.lake.put(stagedKey, Buffer.from(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength));
  r.staged.push({ staged: stagedKey, final: `events/${part}/${file}` });
}

function toTask(r: SegmentRun, batch: FrameRef[]): DecodeTask {
  const total = batch.reduce((n, f) => n + f.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  const frames = batch.map((f) => {
    data.set(r.buf.subarray(f.start, f.start + f.length), at);
    const out = { offset: f.offset, start: at, length: f.length };
    at += f.length;
    return out;
  });
  return { segment: r.name, data, frames };
}

/** Scans the segment into decode tasks; corrupt frames go to the quarantine. */
async function readSegment(r: SegmentRun): Promise<void> {
  const { o, buf, name } = r;
  let batch: FrameRef[] = [];
  for (const item of scanSegment(buf)) {
    if (item.ok) {
      r.frames++;
      batch.push({ offset: item.offset, start: item.offset + FRAME_HEADER, length: buf.readUInt32LE(item.offset) });
      if (batch.length >= o.batchFrames) {
        await r.decodeQ.put(toTask(r, batch));
        batch = [];
      }
      continue;
    }
    r.corrupt++;
    const end = item.resumeAt >= 0 ? item.resumeAt : buf.length;
    await r.lake.put(`quarantine/${name}@${item.offset}.bin`, buf.subarray(item.offset, end));
    o.log.warn({ segment: name, offset: item.offset, reason: item.reason, bytes: end - item.offset }, 'corrupt frame quarantined; the rest of the segment goes on');
    if (item.resumeAt < 0) break;
  }
  if (batch.length) await r.decodeQ.put(toTask(r, batch));
  r.decodeQ.close();
}

async function spill(r: SegmentRun, part: string, list: Partition): Promise<void> {
  const { inflight } = r;
  r.partitions.delete(part);
  r.buffered -= list.n;
  const p = flush(r, part, list.chunks);
  inflight.add(p);
  // Settled files leave the set; a failure is not lost (it is awaited below) nor unhandled while it waits.
  p.then(() => inflight.delete(p), () => undefined);
  // At most two files per encode thread in flight, so a thread never waits for the writer to hand it the next (1.2x over one per thread); the writer waits for the first to finish, not for all.
  while (inflight.size >= 2 * r.o.encodeConcurrency) await Promise.race(inflight);
}

/** Takes one enriched batch into its partitions, writing a file each time a partition fills one. */
async function writeBatch(r: SegmentRun, b: DecodedBatch): Promise<void> {
  const { o, partitions } = r;
  if (b.quarantined.length > 0 || b.badFrames.length > 0) await setAside(r, b);
  for (const chunk of b.chunks) {
    r.events += chunk.n;
    r.buffered += chunk.n;
    // A file holds maxRowsPerFile rows at most: a chunk that would overflow it is cut there.
    for (let at = 0; at < chunk.n; ) {
      let list = partitions.get(chunk.part);
      if (!list) partitions.set(chunk.part, (list = { chunks: [], n: 0 }));
      const take = Math.min(chunk.n - at, o.maxRowsPerFile - list.n);
      list.chunks.push(at === 0 && take === chunk.n ? chunk : sliceChunk(chunk, at, at + take));
      list.n += take;
      at += take;
      if (list.n >= o.maxRowsPerFile) await spill(r, chunk.part, list);
    }
  }
  // Memory stays bounded whatever the segment holds: past the budget, the largest partitions go early.
  while (r.buffered > o.maxBufferedRows) {
    let big: [string, Partition] | null = null;
    for (const e of partitions) if (!big || e[1].n > big[1].n) big = e;
    await spill(r, big![0], big![1]);
  }
}

/** Takes the enriched batches into partition files, then writes what is left. */
async function writeBatches(r: SegmentRun): Promise<void> {
  for (let b = await r.writeQ.take(); b !== undefined; b = await r.writeQ.take()) await writeBatch(r, b);
  await Promise.all(r.inflight);
  // What is left: every partition's last file, encodeConcurrency at a time.
  const rest = [...r.partitions];
  const next = async (): Promise<void> => {
    for (let item = rest.shift(); item !== undefined; item = rest.shift()) await flush(r, item[0], item[1].chunks);
  };
  await Promise.all(Array.from({ length: r.o.encodeConcurrency }, next));
}

/** Tells data health of the quarantine, then commits the staged files and checkpoints the segment. */
async function commit(r: SegmentRun, key: string, t0: number): Promise<SegmentResult> {
  const { o, lake, name, staged, records } = r;
  // Data health hears of the quarantine before the checkpoint; a rerun records the same keys again.
  if (records.size > 0 && o.recordQuarantine) {
    await o.recordQuarantine([...records.values()]).catch((err: unknown) => o.log.warn({ segment: name, err: (err as Error).message }, 'could not record the quarantine in the store; the lake files stay'));
  }
  await o.beforeCommit?.();
  // Commit: manifest first, then the renames, then the checkpoint.
  await lake.put(commitKey(name), Buffer.from(JSON.stringify({ files: staged.map((s) => s.final) })));
  for (const s of staged) await lake.rename(s.staged, s.final);
  const result: SegmentResult = { segment: name, frames: r.frames, corrupt: r.corrupt, events: r.events, files: staged.map((s) => s.final).sort(), quarantined: r.quarantined, ms: performance.now() - t0 };
  await lake.put(checkpointKey(name), Buffer.from(JSON.stringify({ ...result, key, finished_at: Date.now() })));
  await lake.delete(commitKey(name));
  return result;
}

/**
 * Turns one sealed segment into Parquet files, exactly once: outputs go to a staging prefix,
 * then a commit manifest is written, the files are renamed into `events/app_id=A/dt=D/`, and
 * a checkpoint marks the segment done. A crash anywhere before the checkpoint makes the next
 * run clean up (the manifest names what a half-done commit left) and start the segment over,
 * so the final output equals that of an uninterrupted run. With N processes, the caller holds
 * the segment's lease (segment-lease.ts) and `beforeCommit` checks it is still held.
 */
export async function processSegment(key: string, o: ProcessorOptions): Promise<SegmentResult> {
  const t0 = performance.now();
  const name = segmentName(key);
  await cleanUp(o.lake, name);
  const r = newRun(o, name, await o.lake.get(key));
  const reader = readSegment(r);
  const decode = runStage(o.stats.decode, r.decodeQ, r.enrichQ, (t) => o.decodePool.run(t, { transferList: [t.data.buffer as ArrayBuffer] }) as Promise<DecodedBatch>);
  const enrich = runStage(o.stats.enrich, r.enrichQ, r.writeQ, async (b) => {
    await o.enricher.resolve(b, r.dict);
    return b;
  });
  const write = writeBatches(r);
  try {
    await Promise.all([reader, decode, enrich, write]);
  } catch (err) {
    // Unblock every stage, let the files in flight settle, then give up on this attempt.
    for (const q of [r.decodeQ, r.enrichQ, r.writeQ] as BoundedQueue<unknown>[]) q.abort(err as Error);
    await Promise.allSettled([reader, decode, enrich, write, ...r.inflight]);
    throw err;
  }
  return commit(r, key, t0);
}
