import { LRUCache } from 'lru-cache';

/**
 * A concurrent memoizer over an async loader: one in-flight load per key however many callers
 * ask at once (lru-cache's fetch), bounded in size, with hit and miss counts for /metrics.
 * Absent values are cached too (as null), so an unknown id is asked about once.
 */
export class Memoizer<V extends object> {
  hits = 0;
  misses = 0;
  private readonly cache: LRUCache<string, { v: V | null }>;

  constructor(load: (key: string) => Promise<V | undefined>, max = 100_000, ttlMs = 60_000) {
    this.cache = new LRUCache<string, { v: V | null }>({ max, ttl: ttlMs, fetchMethod: async (key) => ({ v: (await load(key)) ?? null }) });
  }

  async get(key: string): Promise<V | null> {
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.hits++;
      return hit.v;
    }
    this.misses++;
    const got = await this.cache.fetch(key);
    return got?.v ?? null;
  }

  get hitRatio(): number {
    const n = this.hits + this.misses;
    return n === 0 ? 0 : this.hits / n;
  }
}
