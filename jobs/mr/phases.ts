/**
 * The two phases over arrays of lines, shared by the local runner's workers and the
 * streaming command: map every line, or group sorted lines by key and reduce each group.
 * Every emitted pair is checked against the contract of mr-job.ts.
 */
import { excerpt, MrError, MrErrorCode } from './errors.js';
import { splitLine } from './encoding.js';
import type { Emit, MrJob } from './mr-job.js';

const NOT_PRINTABLE = /[^\x20-\x7e]/;

/** An emit that checks the pair and hands on the line `key<TAB>value`. */
function lineEmit(job: MrJob, out: (line: string) => void): Emit {
  return (key, value) => {
    if (key === '' || NOT_PRINTABLE.test(key) || NOT_PRINTABLE.test(value)) {
      throw new MrError(MrErrorCode.BAD_EMIT, `job ${job.name} emitted key ${excerpt(key)} value ${excerpt(value)}: keys and values must be printable ASCII and keys non-empty (escape them, see jobs/mr/encoding.ts)`);
    }
    out(`${key}\t${value}`);
  };
}

/** Map: each non-empty line (a trailing CR is dropped) through job.map. */
export function mapLines(job: MrJob, lines: Iterable<string>, out: (line: string) => void): void {
  const emit = lineEmit(job, out);
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line !== '') job.map(line, emit);
  }
}

/**
 * Reduce, fed line by line: consecutive lines of one key are one group. A key smaller than
 * the one before means the input was not sorted, which would split groups: that fails.
 */
export class Reducer {
  private key: string | null = null;
  private values: string[] = [];
  private readonly emit: Emit;

  constructor(private readonly job: MrJob, out: (line: string) => void) {
    this.emit = lineEmit(job, out);
  }

  push(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    const [key, value] = splitLine(line);
    if (key !== this.key) {
      if (this.key !== null && key < this.key) {
        throw new MrError(MrErrorCode.UNSORTED, `reduce input of job ${this.job.name} is not sorted: key ${excerpt(key)} after ${excerpt(this.key)} (pipe the map output through LC_ALL=C sort)`);
      }
      this.end();
      this.key = key;
    }
    this.values.push(value);
  }

  /** Reduces the last group; call once after the last line. */
  end(): void {
    if (this.key === null) return;
    const values = this.values;
    this.values = [];
    this.job.reduce(this.key, values, this.emit);
    this.key = null;
  }
}

/** Map a batch of lines; answers the emitted lines. */
export function runMap(job: MrJob, lines: readonly string[]): string[] {
  const out: string[] = [];
  mapLines(job, lines, (l) => out.push(l));
  return out;
}

/** Reduce a batch of sorted lines whose groups are whole; answers the emitted lines. */
export function runReduce(job: MrJob, sorted: readonly string[]): string[] {
  const out: string[] = [];
  const r = new Reducer(job, (l) => out.push(l));
  for (const l of sorted) r.push(l);
  r.end();
  return out;
}
