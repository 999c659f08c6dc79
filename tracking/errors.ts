import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

type Code = CodeOf<'TRK'>;
/** Stable codes of the tracking tier (status and template in common/error-codes.ts). */
export const TrackingErrorCode = {
  BATCH_TOO_LARGE: 'TRK_ERR_BATCH_TOO_LARGE',
  BODY_TOO_LARGE: 'TRK_ERR_BODY_TOO_LARGE',
  /** Too many JSON values or too deep a nesting, found by the scan before parsing (413). */
  BODY_TOO_COMPLEX: 'TRK_ERR_BODY_TOO_COMPLEX',
  BAD_JSON: 'TRK_ERR_BAD_JSON',
  BAD_GZIP: 'TRK_ERR_BAD_GZIP',
  BAD_ENCODING: 'TRK_ERR_BAD_ENCODING',
  UNSUPPORTED_ENCODING: 'TRK_ERR_UNSUPPORTED_ENCODING',
  BAD_BODY: 'TRK_ERR_BAD_BODY',
  BAD_REQUEST: 'TRK_ERR_BAD_REQUEST',
  NO_VALID_EVENTS: 'TRK_ERR_NO_VALID_EVENTS',
  UNSUPPORTED_MEDIA_TYPE: 'TRK_ERR_UNSUPPORTED_MEDIA_TYPE',
  BAD_APP_KEY: 'TRK_ERR_BAD_APP_KEY',
  STORAGE: 'TRK_ERR_STORAGE',
  OVERLOADED: 'TRK_ERR_OVERLOADED',
  /** Request bodies being received or held are over --max-inflight-mb (503 with Retry-After). */
  BUSY: 'TRK_ERR_BUSY',
  SHUTTING_DOWN: 'TRK_ERR_SHUTTING_DOWN',
  RATE_LIMITED: 'TRK_ERR_RATE_LIMITED',
  BAD_BEACON: 'TRK_ERR_BAD_BEACON',
  NOT_FOUND: 'TRK_ERR_NOT_FOUND',
  INTERNAL: 'TRK_ERR_INTERNAL',
} as const satisfies Record<string, Code>;
export type TrackingErrorCode = Code;

export class TrackingError extends SluiceError<Code> {
  /** Seconds for a Retry-After header, on 429 and 503. */
  readonly retryAfter: number | undefined;
  constructor(code: Code, message?: string, details?: unknown, retryAfter?: number) {
    super(code, message, details);
    this.retryAfter = retryAfter;
  }
}
