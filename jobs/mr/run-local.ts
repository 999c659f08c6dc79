/**
 * The in-process runner: the same map -> sort -> reduce as Hadoop Streaming or
 * `map | LC_ALL=C sort | reduce`, on a piscina pool. Map runs on chunks of the input (each
 * chunk's pairs come back sorted), the chunks are merged in byte order of the whole line
 * `key<TAB>value` (keys and values are printable ASCII, so string order is byte order, see
 * mr-job.ts), the sorted lines are cut into key ranges on whole groups, and the ranges are
 * reduced on the pool. The output is the reduce output in key order, as the pipe gives it.
 */
import { Piscina } from 'piscina';
import { MrError, MrErrorCode } from './errors.js';
import { splitLine } from './encoding.js';
import type { MrJob } from './mr-job.js';
import { MR_JOBS } from './mr-jobs.js';
import type { MrTask } from './mr-worker.js';
import { runMap, runReduce } from './phases.js';

interface RunLocalOptions {
  /** Worker threads; 0 runs both phases in this thread. */
  threads: number;
  /** Tasks per thread and phase (more, smaller tasks balance better); default 4. */
  tasksPerThread?: number;
}

/** Cuts sorted lines into about `parts` ranges, each ending at a key boundary. */
function keyRanges(sorted: readonly string[], parts: number): [number, number][] {
  const out: [number, number][] = [];
  const size = Math.max(1, Math.ceil(sorted.length / parts));
  let from = 0;
  while (from < sorted.length) {
    let to = Math.min(sorted.length, from + size);
    if (to < sorted.length) {
      const key = splitLine(sorted[to - 1]!)[0];
      while (to < sorted.length && splitLine(sorted[to]!)[0] === key) to++;
    }
    out.push([from, to]);
    from = to;
  }
  return out;
}

/** Runs one job over `lines` and answers its output lines (`key<TAB>value`, in key order). */
export async function runLocal(job: MrJob, lines: readonly string[], o: RunLocalOptions): Promise<string[]> {
  if (o.threads <= 0) return runReduce(job, runMap(job, lines).sort());
  if (MR_JOBS[job.name] !== job) throw new MrError(MrErrorCode.UNKNOWN_JOB, `runLocal: job '${job.name}' is not in MR_JOBS, so worker threads cannot load it (add it there, or use threads: 0)`);
  const parts = o.threads * (o.tasksPerThread ?? 4);
  const pool = new Piscina({ filename: new URL('./mr-worker.js', import.meta.url).href, minThreads: o.threads, maxThreads: o.threads });
  try {
    const size = Math.max(1, Math.ceil(lines.length / parts));
    const maps: Promise<string[]>[] = [];
    for (let i = 0; i < lines.length; i += size) {
      const task: MrTask = { job: job.name, phase: 'map', lines: lines.slice(i, i + size) };
      maps.push(pool.run(task) as Promise<string[]>);
    }
    // Sorted runs, concatenated: the sort finds the runs and merges them.
    const sorted = (await Promise.all(maps)).flat().sort();
    const reduces = keyRanges(sorted, parts).map(([from, to]) => {
      const task: MrTask = { job: job.name, phase: 'reduce', lines: sorted.slice(from, to) };
      return pool.run(task) as Promise<string[]>;
    });
    return (await Promise.all(reduces)).flat();
  } finally {
    await pool.destroy();
  }
}
