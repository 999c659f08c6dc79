import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

/** Errors of the batch jobs and the map/reduce jobs (JOB_ERR_*, status in common/error-codes.ts). */
export class JobError extends SluiceError<CodeOf<'JOB'>> {}
