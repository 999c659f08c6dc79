import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { utcDay } from '../common/time.js';
import type { Lake } from '../lake/lake.js';
import type { TrackingMetrics } from './metrics.js';
import { SEALED_SUFFIX } from './segment-log.js';

interface ShipperOptions {
  dir: string;
  lake: Lake;
  intervalMs: number;
  retainShippedMs: number;
  log: Logger;
  metrics?: TrackingMetrics;
}

/** Start time of a segment from its name `<node>-<startMs>-<counter>.seg`. */
function segmentStart(name: string): number {
  const parts = name.slice(0, -SEALED_SUFFIX.length).split('-');
  return Number(parts[parts.length - 2]);
}

/** Lake key of a sealed segment: partitioned by the UTC day it was opened. */
export function segmentKey(name: string): string {
  return `segments/dt=${utcDay(segmentStart(name))}/${name}`;
}

/**
 * Ships sealed segments to the lake, oldest first. A segment is moved to `shipped/` only
 * after the lake confirmed the put, so a crash in between ships it again (same key, same
 * bytes) rather than losing it. Shipped copies are kept for a while, then removed.
 */
export class Shipper {
  private readonly shippedDir: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private failing = false;

  constructor(private readonly o: ShipperOptions) {
    this.shippedDir = join(o.dir, 'shipped');
    mkdirSync(this.shippedDir, { recursive: true });
  }

  start(): void {
    const tick = () => {
      void this.shipOnce().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs);
      });
    };
    this.timer = setTimeout(tick, this.o.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Seconds since the oldest unshipped sealed segment was opened; 0 when all are shipped. */
  lagSeconds(now = Date.now()): number {
    const pending = this.pending();
    return pending.length ? Math.max(0, (now - segmentStart(pending[0]!)) / 1000) : 0;
  }

  private pending(): string[] {
    return readdirSync(this.o.dir).filter((f) => f.endsWith(SEALED_SUFFIX)).sort((a, b) => segmentStart(a) - segmentStart(b) || (a < b ? -1 : 1));
  }

  /** Ships what is sealed now; returns how many segments the lake confirmed. */
  shipOnce(): Promise<number> {
    if (!this.running) this.running = this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<number> {
    let shipped = 0;
    for (const name of this.pending()) {
      const path = join(this.o.dir, name);
      try {
        await this.o.lake.put(segmentKey(name), await readFile(path));
      } catch (err) {
        this.o.metrics?.shipErrors.inc();
        // Log once per outage, not once per attempt.
        if (!this.failing) this.o.log.error({ err: (err as Error).message, lake: this.o.lake.location, segment: name }, 'shipping to the lake failed; will retry');
        this.failing = true;
        return shipped;
      }
      await rename(path, join(this.shippedDir, name));
      this.o.metrics?.segmentsShipped.inc();
      shipped++;
      if (this.failing) this.o.log.info({ lake: this.o.lake.location }, 'shipping to the lake works again');
      this.failing = false;
    }
    this.cleanShipped();
    return shipped;
  }

  private cleanShipped(): void {
    const cutoff = Date.now() - this.o.retainShippedMs;
    for (const f of readdirSync(this.shippedDir)) {
      const p = join(this.shippedDir, f);
      if (statSync(p).mtimeMs < cutoff) unlinkSync(p);
    }
  }
}
