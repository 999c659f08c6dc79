import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../common/logger.js';
import type { FactStore } from '../store/facts.js';
import { PipelineError, PipelineErrorCode } from './errors.js';

/** The lease calls of the report store (its job lock table): atomic on SQLite and MySQL alike. */
export type LeaseStore = Pick<FactStore, 'acquireJobLock' | 'renewJobLock' | 'releaseJobLock' | 'jobLockHolder'>;

export const LEASE_DEFAULTS = { leaseMs: 30_000, leaseRenewMs: 10_000 } as const;

/** This process's holder id: host (cut to fit the store's 255 characters), pid and a random tail (a restarted pid is another holder); safe in a lake key. */
export function newHolderId(): string {
  return `${hostname().slice(0, 64)}-${process.pid}-${randomBytes(4).toString('hex')}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The lock key of a segment; a long name is hashed so the key fits the store's 255 characters. */
export const leaseKey = (segment: string): string => `pipeline-segment:${segment.length <= 200 ? segment : createHash('sha256').update(segment).digest('hex')}`;

interface LeaseCounts {
  claimed: number;
  takenOver: number;
  lost: number;
}

/** One segment held by this process: renewed on a timer until released; `confirm` is the fence before a commit. */
class HeldLease {
  private lost = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly leases: SegmentLeases, readonly segment: string) {
    this.timer = setInterval(() => void this.renew().catch((err: unknown) => leases.log.warn({ segment, err: (err as Error).message }, 'could not renew a segment lease; will retry')), leases.renewMs);
    this.timer.unref();
  }

  private async renew(): Promise<boolean> {
    if (this.lost) return false;
    // Renew, never acquire: a lease taken over (and perhaps finished and released) by another process stays lost.
    if (await this.leases.store.renewJobLock(leaseKey(this.segment), this.leases.holder, this.leases.leaseMs, Date.now())) return true;
    this.lost = true;
    this.leases.counts.lost++;
    this.leases.log.warn({ segment: this.segment }, 'segment lease lost (another process took it over); this attempt will not commit');
    return false;
  }

  /** Renews now and throws PIPE_ERR_LEASE_LOST unless we still hold the lease: called just before the commit. */
  async confirm(): Promise<void> {
    if (!(await this.renew())) throw new PipelineError(PipelineErrorCode.LEASE_LOST, `lost the lease of segment ${this.segment}`);
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.leases.store.releaseJobLock(leaseKey(this.segment), this.leases.holder);
  }
}

/**
 * Segment leases in the report store: a segment is worked on by the one process holding its
 * lease, renewed every `renewMs`; a holder that dies stops renewing, and after `leaseMs` any
 * other process takes the segment over (and redoes it from the start).
 */
export class SegmentLeases {
  readonly counts: LeaseCounts = { claimed: 0, takenOver: 0, lost: 0 };

  constructor(readonly store: LeaseStore, readonly holder: string, readonly leaseMs: number, readonly renewMs: number, readonly log: Logger) {}

  /** Takes the segment's lease when free or expired; null when a live holder has it. */
  async claim(segment: string): Promise<HeldLease | null> {
    const key = leaseKey(segment);
    const before = await this.store.jobLockHolder(key);
    if (!(await this.store.acquireJobLock(key, this.holder, this.leaseMs, Date.now()))) return null;
    this.counts.claimed++;
    // A row that was still there and not ours: its holder stopped renewing without releasing (killed).
    if (before && before.owner !== this.holder) {
      this.counts.takenOver++;
      this.log.warn({ segment, from: before.owner }, 'took over the lease of a segment whose holder stopped renewing; redoing it');
    }
    return new HeldLease(this, segment);
  }
}
