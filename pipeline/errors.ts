import { SluiceError } from '../common/errors.js';

export const PipelineErrorCode = {
  /** This process no longer holds a segment's lease (not renewed in time, or taken over): its work is dropped, not committed. */
  LEASE_LOST: 'PIPE_ERR_LEASE_LOST',
} as const;

export class PipelineError extends SluiceError {
  constructor(code: (typeof PipelineErrorCode)[keyof typeof PipelineErrorCode], message: string, statusCode = 409) {
    super(code, message, statusCode);
    this.name = 'PipelineError';
  }
}
