import { LRUCache } from 'lru-cache';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets per key (app key or client address), bounded in memory by an LRU: a flood of
 * distinct addresses evicts old buckets instead of growing the heap. A rate of 0 allows all.
 */
export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;
  private readonly burst: number;

  constructor(private readonly perSecond: number, burstSeconds = 2, maxKeys = 100_000) {
    this.burst = Math.max(1, perSecond * burstSeconds);
    this.buckets = new LRUCache<string, Bucket>({ max: maxKeys });
  }

  /** 0 when the request may go; else the seconds to wait (for Retry-After). */
  take(key: string, now: number): number {
    if (this.perSecond <= 0) return 0;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }
}
