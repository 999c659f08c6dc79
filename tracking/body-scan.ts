import { TrackingError, TrackingErrorCode as E } from './errors.js';

/**
 * A byte scan of an upload's JSON before JSON.parse: the parse of a small body costs little,
 * but a gzip of a few KiB can inflate to megabytes of `0,0,0,...` or `[[[[...`, whose parse
 * alone blocks the event loop for seconds. The scan counts the elements of the top-level
 * `events` array, every value in the body, and the nesting depth, and stops at the first
 * limit crossed. It is incremental (fed chunk by chunk while a gzip body inflates, so a bomb
 * is refused after its first chunk, not after megabytes), allocates nothing per byte, and
 * does not validate JSON: JSON.parse still does.
 */

/** Bodies at most this long are parsed without the scan: their parse is bounded (~2 ms worst). */
export const SCAN_ABOVE_BYTES = 32 * 1024;
/** Deepest nesting a scanned body may have; events use ~12 levels (unknown fields nest 8). */
const MAX_BODY_DEPTH = 64;
/** Values a body may hold per event of its limit, on average, plus a fixed allowance. */
const VALUES_PER_EVENT = 128;
const VALUES_ALLOWANCE = SCAN_ABOVE_BYTES / 2;

/** Most values a body may hold with `maxEvents` events: any body under SCAN_ABOVE_BYTES fits. */
function maxBodyValues(maxEvents: number): number {
  return maxEvents * VALUES_PER_EVENT + VALUES_ALLOWANCE;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJ = 0x7b;
const OPEN_ARR = 0x5b;
const CLOSE_OBJ = 0x7d;
const CLOSE_ARR = 0x5d;
// "events" spelt out, matched byte by byte inside top-level keys.
const EVENTS = [0x65, 0x76, 0x65, 0x6e, 0x74, 0x73];

/**
 * Feeds on JSON bytes and throws a 413 TrackingError at the first limit crossed. Elements of
 * the top-level `events` array are counted by its commas (an upper bound, exact for valid
 * JSON), values by commas and opening brackets. A key spelt with escapes is not taken for
 * `events`, but the value count still bounds such a body, and the count after JSON.parse
 * remains the final word.
 */
export class BodyScanner {
  private readonly maxValues: number;
  private depth = 0;
  private values = 0;
  /** Commas seen in the top-level events array; -1 outside it. */
  private events = -1;
  private inString = false;
  private escaped = false;
  /** Bytes of "events" matched so far in the current top-level string; -1 once it differs. */
  private keyAt = -1;
  /** Whether the last string that ended at depth 1 was "events": the key of a '[' that follows. */
  private topKeyIsEvents = false;

  constructor(private readonly maxEvents: number) {
    this.maxValues = maxBodyValues(maxEvents);
  }

  push(b: Uint8Array): void {
    const n = b.length;
    let { depth, values, events, inString, escaped, keyAt } = this;
    for (let i = 0; i < n; i++) {
      if (inString) {
        for (; i < n; i++) {
          const d = b[i];
          if (escaped) {
            escaped = false;
            keyAt = -1;
          } else if (d === BACKSLASH) escaped = true;
          else if (d === QUOTE) break;
          else if (keyAt >= 0) keyAt = keyAt < EVENTS.length && EVENTS[keyAt] === d ? keyAt + 1 : -1;
        }
        if (i === n) break; // the string goes on in the next chunk
        inString = false;
        if (depth === 1) this.topKeyIsEvents = keyAt === EVENTS.length;
        continue;
      }
      const c = b[i];
      if (c === QUOTE) {
        inString = true;
        keyAt = depth === 1 ? 0 : -1;
      } else if (c === COMMA) {
        if (++values > this.maxValues) this.fail(E.BODY_TOO_COMPLEX, `the body holds more than ${this.maxValues} JSON values (a batch may average ${VALUES_PER_EVENT} an event); send smaller batches`);
        if (events >= 0 && depth === 2 && ++events >= this.maxEvents) this.fail(E.BATCH_TOO_LARGE, `a batch may hold at most ${this.maxEvents} events; this one has more; split it`);
      } else if (c === OPEN_OBJ || c === OPEN_ARR) {
        if (++depth > MAX_BODY_DEPTH) this.fail(E.BODY_TOO_COMPLEX, `the body nests deeper than ${MAX_BODY_DEPTH} levels`);
        if (++values > this.maxValues) this.fail(E.BODY_TOO_COMPLEX, `the body holds more than ${this.maxValues} JSON values (a batch may average ${VALUES_PER_EVENT} an event); send smaller batches`);
        if (depth === 2 && c === OPEN_ARR && this.topKeyIsEvents) events = 0;
      } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        if (depth === 2) events = -1;
        depth--;
      }
    }
    this.depth = depth;
    this.values = values;
    this.events = events;
    this.inString = inString;
    this.escaped = escaped;
    this.keyAt = keyAt;
  }

  private fail(code: typeof E.BODY_TOO_COMPLEX | typeof E.BATCH_TOO_LARGE, message: string): never {
    throw new TrackingError(code, message);
  }
}
