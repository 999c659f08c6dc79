import { SluiceError } from '../common/errors.js';

/** Errors of the batch jobs, with stable codes. */
export const JobErrorCode = {
  STATE_CORRUPT: 'JOB_ERR_STATE_CORRUPT',
  BAD_INPUT: 'JOB_ERR_BAD_INPUT',
  LOCKED: 'JOB_ERR_LOCKED',
  UNKNOWN_WORKFLOW: 'JOB_ERR_UNKNOWN_WORKFLOW',
  STEP_FAILED: 'JOB_ERR_STEP_FAILED',
  BAD_RANGE: 'JOB_ERR_BAD_RANGE',
} as const;

export class JobError extends SluiceError {
  constructor(code: string, message: string, statusCode = 500, details?: unknown) {
    super(code, message, statusCode, details);
    this.name = 'JobError';
  }
}
