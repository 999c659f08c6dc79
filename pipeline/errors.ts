import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

type Code = CodeOf<'PIPE'>;
export const PipelineErrorCode = {
  /** This process no longer holds a segment's lease (not renewed in time, or taken over): its work is dropped, not committed. */
  LEASE_LOST: 'PIPE_ERR_LEASE_LOST',
} as const satisfies Record<string, Code>;

export class PipelineError extends SluiceError<Code> {}
