import type { CodeOf } from '../../common/error-codes.js';
import { SluiceError } from '../../common/errors.js';

type MrCode = Extract<CodeOf<'JOB'>, `JOB_ERR_MR_${string}`>;

/** Errors of the map/reduce jobs, with stable codes. */
export const MrErrorCode = {
  /** An input line is not what the job reads (not JSON, a field missing, no tab). */
  BAD_LINE: 'JOB_ERR_MR_BAD_LINE',
  /** Reduce input is not sorted by key (it must come through `LC_ALL=C sort` or Hadoop's shuffle). */
  UNSORTED: 'JOB_ERR_MR_UNSORTED',
  /** A job emitted a key or value that is not printable ASCII (or an empty key). */
  BAD_EMIT: 'JOB_ERR_MR_BAD_EMIT',
  /** runLocal was asked for threads with a job the workers cannot find by name. */
  UNKNOWN_JOB: 'JOB_ERR_MR_UNKNOWN_JOB',
} as const satisfies Record<string, MrCode>;

/** A JobError of the map/reduce jobs (same codes family, JOB_ERR_MR_*). */
export class MrError extends SluiceError<MrCode> {}

/** The start of a line for an error message (lines can be long). */
export function excerpt(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}...` : line);
}
