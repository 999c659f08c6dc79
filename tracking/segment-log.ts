import { mkdirSync, readdirSync, readFileSync, openSync, fsyncSync, closeSync, truncateSync, renameSync, unlinkSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { SEGMENT_MAGIC, validPrefix } from '../common/segment-format.js';
import { TrackingError, TrackingErrorCode } from './errors.js';
import type { TrackingMetrics } from './metrics.js';

interface SegmentLogOptions {
  dir: string;
  /** Host/process id in every segment name, so segments from many servers never collide in the lake. */
  nodeId: string;
  rollBytes: number;
  rollMs: number;
  /** Bytes waiting for the disk at most; past that appends are refused (backpressure). */
  maxPendingBytes: number;
  retryAfterSeconds: number;
  log: Logger;
  metrics?: TrackingMetrics;
}

const OPEN_SUFFIX = '.seg.open';
export const SEALED_SUFFIX = '.seg';

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The append-only segment log with group commit: appends that arrive while a write+fdatasync
 * is in flight are written together by the next one, so N concurrent requests share one
 * fsync, and each append resolves only after the fsync that covers it. Segments roll by size
 * or age; the open one is `*.seg.open` and is renamed to `*.seg` when sealed.
 */
export class SegmentLog {
  private fh: FileHandle | null = null;
  private name = '';
  private size = 0;
  private frames = 0;
  private openedAt = 0;
  private counter = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private flushScheduled = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly o: SegmentLogOptions) {
    this.timer = setInterval(() => this.enqueue(() => this.maybeRoll()), Math.min(1000, Math.max(50, o.rollMs / 4)));
    this.timer.unref();
  }

  /** Opens the log: recovers what a crash left, then is ready to append. */
  static open(o: SegmentLogOptions): SegmentLog {
    mkdirSync(o.dir, { recursive: true });
    SegmentLog.recover(o.dir, o.log);
    return new SegmentLog(o);
  }

  /** Truncates torn tails of leftover open segments at their last good frame and seals them. */
  static recover(dir: string, log: Logger): void {
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith(OPEN_SUFFIX)) continue;
      const path = join(dir, f);
      const buf = readFileSync(path);
      const good = validPrefix(buf);
      if (good <= SEGMENT_MAGIC.length) {
        unlinkSync(path);
        log.info({ segment: f, bytes: buf.length }, 'removed an open segment with no whole frame');
        continue;
      }
      if (good < buf.length) truncateSync(path, good);
      const fd = openSync(path, 'r+');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(path, path.slice(0, -'.open'.length));
      log.info({ segment: f, kept: good, cut: buf.length - good }, 'recovered and sealed a segment left open');
    }
    fsyncDir(dir);
  }

  /** Resolves once the frame is durable; rejects with a 503 TrackingError when it is not. */
  append(frame: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new TrackingError(TrackingErrorCode.SHUTTING_DOWN, 'the server is shutting down', undefined, this.o.retryAfterSeconds));
    if (this.pendingBytes + frame.length > this.o.maxPendingBytes) {
      this.o.metrics?.appendErrors.inc({ reason: 'overloaded' });
      return Promise.reject(new TrackingError(TrackingErrorCode.OVERLOADED, 'too much data is waiting for the disk; retry later', undefined, this.o.retryAfterSeconds));
    }
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.enqueue(() => this.flush());
    }
    return p;
  }

  /** Names of sealed segments, oldest first. */
  sealed(): string[] {
    return readdirSync(this.o.dir).filter((f) => f.endsWith(SEALED_SUFFIX)).sort();
  }

  get openSegment(): { name: string; ageMs: number; bytes: number } | null {
    return this.fh ? { name: this.name, ageMs: Date.now() - this.openedAt, bytes: this.size } : null;
  }

  /** Seals the open segment now if it holds any frame. */
  roll(): Promise<void> {
    return this.enqueue(() => this.seal());
  }

  /** Writes what is pending, seals the open segment, and refuses further appends. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.enqueue(() => this.seal());
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    const now = Date.now();
    this.name = `${this.o.nodeId}-${now}-${String(this.counter++).padStart(6, '0')}`;
    const fh = await open(join(this.o.dir, this.name + OPEN_SUFFIX), 'wx');
    try {
      await fh.write(SEGMENT_MAGIC);
      await fh.sync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    fsyncDir(this.o.dir);
    this.fh = fh;
    this.size = SEGMENT_MAGIC.length;
    this.frames = 0;
    this.openedAt = now;
    return fh;
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const bufs = this.pending;
    const waiters = this.waiters;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.waiters = [];
    this.pendingBytes = 0;
    if (bufs.length === 0) return;
    const m = this.o.metrics;
    try {
      const fh = await this.ensureOpen();
      const { bytesWritten } = await fh.writev(bufs, this.size);
      if (bytesWritten !== bytes) throw Object.assign(new Error(`short write: ${bytesWritten} of ${bytes} bytes`), { code: 'ENOSPC' });
      const t0 = performance.now();
      await fh.datasync();
      m?.fsyncSeconds.observe((performance.now() - t0) / 1000);
      this.size += bytes;
      this.frames += bufs.length;
      m?.framesWritten.inc(bufs.length);
      m?.bytesWritten.inc(bytes);
      for (const w of waiters) w.resolve();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      m?.appendErrors.inc({ reason: code });
      this.o.log.error({ err: (err as Error).message, code, segment: this.name }, 'segment write failed; nothing in this group was acknowledged');
      const e = new TrackingError(TrackingErrorCode.STORAGE, `the event log could not be written (${code}); nothing was stored, retry later`, undefined, this.o.retryAfterSeconds);
      for (const w of waiters) w.reject(e);
      await this.repair();
      return;
    }
    if (this.size >= this.o.rollBytes) await this.seal();
  }

  /** After a failed write: cut the file back to its last good frame, or give it up to recovery. */
  private async repair(): Promise<void> {
    if (!this.fh) return;
    try {
      await this.fh.truncate(this.size);
      await this.fh.datasync();
    } catch (err) {
      this.o.log.error({ err: (err as Error).message, segment: this.name }, 'could not cut a failed write back; the segment is left for start-up recovery');
      await this.fh.close().catch(() => undefined);
      this.fh = null;
    }
  }

  private async maybeRoll(): Promise<void> {
    if (this.fh && this.frames > 0 && Date.now() - this.openedAt >= this.o.rollMs) await this.seal();
  }

  private async seal(): Promise<void> {
    if (!this.fh) return;
    const fh = this.fh;
    this.fh = null;
    await fh.close();
    const from = join(this.o.dir, this.name + OPEN_SUFFIX);
    if (this.frames === 0) {
      unlinkSync(from);
      return;
    }
    await rename(from, join(this.o.dir, this.name + SEALED_SUFFIX));
    fsyncDir(this.o.dir);
    this.o.metrics?.segmentsSealed.inc();
    this.o.log.info({ segment: this.name, bytes: this.size, frames: this.frames }, 'segment sealed');
  }
}
