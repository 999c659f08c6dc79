import { MrError, MrErrorCode } from './errors.js';
import { MR_JOBS } from './mr-jobs.js';
import type { MrPhase } from './mr-job.js';
import { runMap, runReduce } from './phases.js';

export interface MrTask {
  job: string;
  phase: MrPhase;
  /** Map: input lines. Reduce: sorted `key<TAB>value` lines holding whole key groups. */
  lines: string[];
}

/**
 * Piscina entry of the local runner: one chunk through map (answered sorted, so the runner
 * only merges) or one key range through reduce.
 */
export default function run(t: MrTask): string[] {
  const job = MR_JOBS[t.job];
  if (!job) throw new MrError(MrErrorCode.UNKNOWN_JOB, `unknown map/reduce job '${t.job}'`);
  return t.phase === 'map' ? runMap(job, t.lines).sort() : runReduce(job, t.lines);
}
