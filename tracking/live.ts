import type { LiveEvent } from '../common/live-event.js';

const PER_APP = 20;
const MAX_ANSWER = 500;

/**
 * What the reporting UI's live view reads (GET /v1/live): the count of accepted events and
 * the latest few events of each app, each numbered, so a reader asks only for what it has not
 * seen. Recorded after an upload is durable, like the acknowledgement.
 */
export class LiveRing {
  accepted = 0;
  /** Accepted events per app: a batch counts for its app (an SDK uploads one app's events). */
  readonly acceptedByApp = new Map<string, number>();
  private seq = 0;
  private readonly byApp = new Map<string, (LiveEvent & { seq: number })[]>();

  record(accepted: number, latest: readonly LiveEvent[]): void {
    this.accepted += accepted;
    const app = latest[0]?.app_id;
    if (app !== undefined) this.acceptedByApp.set(app, (this.acceptedByApp.get(app) ?? 0) + accepted);
    for (const e of latest) {
      let ring = this.byApp.get(e.app_id);
      if (!ring) this.byApp.set(e.app_id, (ring = []));
      ring.push({ ...e, seq: ++this.seq });
      if (ring.length > PER_APP) ring.shift();
    }
  }

  since(seq: number): { accepted: number; accepted_by_app: Record<string, number>; seq: number; at: number; events: (LiveEvent & { seq: number })[] } {
    const events: (LiveEvent & { seq: number })[] = [];
    for (const ring of this.byApp.values()) for (const e of ring) if (e.seq > seq) events.push(e);
    events.sort((a, b) => a.seq - b.seq);
    return { accepted: this.accepted, accepted_by_app: Object.fromEntries(this.acceptedByApp), seq: this.seq, at: Date.now(), events: events.slice(-MAX_ANSWER) };
  }
}
