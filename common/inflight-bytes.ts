import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

const HELD = Symbol('sluice.inflightBytes');
type Held = ServerResponse & { [HELD]?: number; [BUDGET]?: InflightBytes };
const BUDGET = Symbol('sluice.inflightBudget');

// One listener function for every response (no closure per request): it finds its bytes and budget on the response.
function release(this: Held): void {
  const n = this[HELD];
  const budget = this[BUDGET];
  if (n && budget) budget.release(n);
  this[HELD] = 0;
}

/**
 * A cap on request body bytes the tier holds at once (being received, parsed, or waiting for
 * the disk). A request reserves its declared Content-Length (the body limit when chunked)
 * before its body is read, and gives it back when its response closes, whether it completed
 * or the client went away; past the cap it is refused at once, before any of its body is read.
 */
export class InflightBytes {
  private held = 0;

  constructor(readonly cap: number, private readonly maxBodyBytes: number) {}

  get bytes(): number {
    return this.held;
  }

  /** Bytes a request would hold: its Content-Length, capped by the body limit (fastify refuses more). */
  declared(headers: IncomingHttpHeaders): number {
    const cl = headers['content-length'];
    if (cl !== undefined) {
      const n = Number(cl);
      return Number.isFinite(n) && n > 0 ? Math.min(n, this.maxBodyBytes) : 0;
    }
    return headers['transfer-encoding'] !== undefined ? this.maxBodyBytes : 0;
  }

  /** Reserves a request's bytes until its response closes; false (nothing reserved) past the cap. */
  reserve(res: ServerResponse, n: number): boolean {
    if (this.held + n > this.cap) return false;
    this.held += n;
    const r = res as Held;
    r[HELD] = n;
    r[BUDGET] = this;
    res.on('close', release);
    return true;
  }

  release(n: number): void {
    this.held -= n;
  }
}
