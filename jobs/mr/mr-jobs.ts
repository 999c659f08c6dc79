import { dedupeJob } from './dedupe-job.js';
import { deviceJob } from './device-job.js';
import { hourlyJob } from './hourly-job.js';
import type { MrJob } from './mr-job.js';

/** The jobs `sluice mr <job>` and the local runner's workers know, in chain order. */
export const MR_JOBS: Readonly<Record<string, MrJob>> = Object.freeze({
  [dedupeJob.name]: dedupeJob,
  [deviceJob.name]: deviceJob,
  [hourlyJob.name]: hourlyJob,
});

/** The chain from EventRow lines to hourly rows and seq gaps: each job reads the one before. */
export const MR_CHAIN: readonly MrJob[] = [dedupeJob, deviceJob, hourlyJob];
