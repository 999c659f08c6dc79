/**
 * The live view's source: polls the tracking tier's GET /v1/live once a second (one poll for
 * every watcher), derives events/s, and hands each new batch of events to the subscribers,
 * who each keep only the apps their user may see.
 */
import type { LiveEvent as TrackedEvent } from '../common/live-event.js';
import { everyInterval } from '../common/ticker.js';

/** A live event numbered by the tracking tier. */
type LiveEvent = TrackedEvent & { seq: number };

export interface LiveTick {
  at: number;
  events_per_second: number;
  /** Events/s per app over the last poll. */
  rates: Map<string, number>;
  accepted_total: number;
  events: LiveEvent[];
}

type Listener = (t: LiveTick) => void;

export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private stopTimer: (() => void) | null = null;
  private seq = 0;
  private last: { at: number; accepted: number; byApp: Record<string, number> } | null = null;
  /** The latest events of each app, for a watcher that just arrived. */
  private readonly recent = new Map<string, LiveEvent[]>();
  up = false;
  error: string | null = null;
  lastRate = 0;

  constructor(private readonly url: string, private readonly token: string, private readonly intervalMs = 1000) {}

  get enabled(): boolean {
    return this.url !== '';
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    if (this.enabled && !this.stopTimer) {
      this.stopTimer = everyInterval(() => this.poll(), this.intervalMs);
      void this.poll();
    }
    return () => {
      this.listeners.delete(fn);
      // Nobody watching: stop polling tracking.
      if (this.listeners.size === 0 && this.stopTimer) this.stopTimer(), (this.stopTimer = null);
    };
  }

  recentFor(apps: ReadonlySet<string> | null): LiveEvent[] {
    const out: LiveEvent[] = [];
    for (const [app, list] of this.recent) if (!apps || apps.has(app)) out.push(...list);
    return out.sort((a, b) => a.seq - b.seq);
  }

  get watchers(): number {
    return this.listeners.size;
  }

  async poll(): Promise<void> {
    try {
      const res = await fetch(`${this.url}/v1/live?since=${this.seq}`, { headers: { 'x-sluice-live-token': this.token }, signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`tracking answered HTTP ${res.status} on /v1/live (is --live-token the same on both?)`);
      const body = (await res.json()) as { accepted: number; accepted_by_app: Record<string, number>; seq: number; at: number; events: LiveEvent[] };
      // A restarted tracking server numbers from 0 again.
      if (body.seq < this.seq) this.seq = 0;
      this.seq = body.seq;
      const rate = this.last && body.at > this.last.at && body.accepted >= this.last.accepted ? ((body.accepted - this.last.accepted) * 1000) / (body.at - this.last.at) : 0;
      const rates = new Map<string, number>();
      if (this.last && body.at > this.last.at) {
        for (const [app, n] of Object.entries(body.accepted_by_app)) rates.set(app, Math.round((((n - (this.last.byApp[app] ?? 0)) * 1000) / (body.at - this.last.at)) * 10) / 10);
      }
      this.last = { at: body.at, accepted: body.accepted, byApp: body.accepted_by_app };
      this.lastRate = Math.round(rate * 10) / 10;
      for (const e of body.events) {
        let list = this.recent.get(e.app_id);
        if (!list) this.recent.set(e.app_id, (list = []));
        list.push(e);
        if (list.length > 20) list.shift();
      }
      this.up = true;
      this.error = null;
      const tick: LiveTick = { at: body.at, events_per_second: this.lastRate, rates, accepted_total: body.accepted, events: body.events };
      for (const fn of this.listeners) fn(tick);
    } catch (err) {
      this.up = false;
      this.error = (err as Error).message;
    }
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    this.listeners.clear();
  }
}
