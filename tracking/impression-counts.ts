/**
 * Impression beacons per line item, for fleet pacing (adserver/fleet-pacing.ts): every accepted
 * impression counts in the total, and, until its decision token expires, as live (it settles a
 * decision the ad servers hold as pending). Published to the report store every flush interval
 * under this process's fleet node id (store/fleet.ts).
 */
import type { Logger } from '../common/logger.js';
import { pendingUntil } from '../common/decision-token.js';
import type { FleetStore, ImpressionCounts as Row } from '../store/fleet.js';

class LineItemCounts {
  total = 0;
  /** Impressions by when their decision stops being pending (pendingUntil); the ad server buckets decisions the same way. */
  readonly live = new Map<number, number>();
  /** Published since the last change (and no live impressions left to expire). */
  clean = false;
}

/** Every row is written again this often, so the rows of a live node are never pruned as gone (store/fleet.ts). */
const RESTAMP_MS = 3_600_000;

export class ImpressionCounts {
  private readonly byLineItem = new Map<string, LineItemCounts>();
  private lastFull = 0;
  private flushing: Promise<void> | null = null;
  /** Flushes that failed (the counts stay and go with the next one). */
  errors = 0;

  /** Counts one accepted impression beacon of a decision made at `iat` that expires at `exp`. */
  record(lineItem: string, iat: number, exp: number): void {
    let c = this.byLineItem.get(lineItem);
    if (c === undefined) this.byLineItem.set(lineItem, (c = new LineItemCounts()));
    c.total++;
    const until = pendingUntil(iat, exp);
    c.live.set(until, (c.live.get(until) ?? 0) + 1);
    c.clean = false;
  }

  /** The rows that changed since the last publish (new impressions, or live ones expired), with the counts at `now`. */
  rows(now: number): Row[] {
    const out: Row[] = [];
    const all = now - this.lastFull >= RESTAMP_MS;
    if (all) this.lastFull = now;
    for (const [id, c] of this.byLineItem) {
      if (c.clean && !all) continue;
      let live = 0;
      let last = 0;
      for (const [until, n] of c.live) {
        if (until <= now) c.live.delete(until);
        else (live += n), (last = Math.max(last, until));
      }
      out.push({ line_item_id: id, impressions: c.total, impressions_live: live, live_until: last });
      // Still live impressions will expire: publish again until none are left.
      if (live === 0) c.clean = true;
    }
    return out;
  }

  /** Publishes the changed rows; a failed write marks them for the next flush. A flush asked for while one waits on the store joins it (a hung store never piles up writes). */
  flush(store: Pick<FleetStore, 'publishImpressions'>, node: string, now: number, log: Logger): Promise<void> {
    this.flushing ??= this.flushOnce(store, node, now, log).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(store: Pick<FleetStore, 'publishImpressions'>, node: string, now: number, log: Logger): Promise<void> {
    const rows = this.rows(now);
    if (rows.length === 0) return;
    try {
      await store.publishImpressions(node, rows, now);
    } catch (err) {
      for (const r of rows) {
        const c = this.byLineItem.get(r.line_item_id);
        if (c) c.clean = false;
      }
      if (this.errors++ === 0) log.error({ err: (err as Error).message }, 'cannot publish impression counts to the report store; they go with the next flush');
    }
  }
}
