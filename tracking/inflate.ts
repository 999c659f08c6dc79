import { Gunzip } from 'node:zlib';
import { BodyScanner, SCAN_ABOVE_BYTES } from './body-scan.js';
import { TrackingError, TrackingErrorCode as E } from './errors.js';

interface Job {
  chunks: Buffer[];
  bytes: number;
  maxBytes: number;
  maxEvents: number;
  scanner: BodyScanner | null;
  settled: boolean;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

const JOB = Symbol('sluice.inflateJob');
type Engine = Gunzip & { [JOB]: Job };

function settle(engine: Engine, err: Error | null): void {
  const j = engine[JOB];
  if (j.settled) return;
  j.settled = true;
  if (err) {
    engine.close(); // stop inflating: the rest of a bomb is never produced
    j.chunks = [];
    j.reject(err);
  } else {
    j.resolve(j.chunks.length === 1 ? j.chunks[0]! : Buffer.concat(j.chunks, j.bytes));
  }
}

// Listeners shared by every inflation (no closure per request): each finds its state on the engine, as zlib.gunzip does.
function onData(this: Engine, chunk: Buffer): void {
  const j = this[JOB];
  if (j.settled) return;
  j.chunks.push(chunk);
  j.bytes += chunk.length;
  if (j.bytes > j.maxBytes) return settle(this, new TrackingError(E.BODY_TOO_LARGE, `the body inflates to more than ${j.maxBytes} bytes`));
  if (j.bytes <= SCAN_ABOVE_BYTES) return;
  try {
    if (j.scanner === null) {
      // The body just grew past what may go unscanned: catch up on what came so far.
      j.scanner = new BodyScanner(j.maxEvents);
      for (const c of j.chunks) j.scanner.push(c);
    } else j.scanner.push(chunk);
  } catch (err) {
    settle(this, err as Error);
  }
}

function onError(this: Engine, err: Error): void {
  settle(this, new TrackingError(E.BAD_GZIP, `the body is not valid gzip: ${err.message}`));
}

function onEnd(this: Engine): void {
  settle(this, null);
}

/**
 * Gunzips an upload body while checking it: past `maxBytes` it is refused (413
 * TRK_ERR_BODY_TOO_LARGE), and once it grows past SCAN_ABOVE_BYTES its structure is scanned
 * chunk by chunk as it inflates (413 at the first limit crossed), so a gzip bomb costs one
 * chunk of work and memory, not the megabytes it would inflate to. Inflation runs on libuv's
 * pool, like zlib.gunzip.
 */
export function gunzipChecked(raw: Buffer, maxBytes: number, maxEvents: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const engine = new Gunzip() as Engine;
    engine[JOB] = { chunks: [], bytes: 0, maxBytes, maxEvents, scanner: null, settled: false, resolve, reject };
    engine.on('data', onData);
    engine.on('error', onError);
    engine.on('end', onEnd);
    engine.end(raw);
  });
}
