import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

type Code = CodeOf<'ADS'>;
/** Stable codes of the ad server (status and template in common/error-codes.ts). */
export const AdErrorCode = {
  BAD_REQUEST: 'ADS_ERR_BAD_REQUEST',
  FIELD_TOO_LONG: 'ADS_ERR_FIELD_TOO_LONG',
  QUERY_TOO_LONG: 'ADS_ERR_QUERY_TOO_LONG',
  NOT_FOUND: 'ADS_ERR_NOT_FOUND',
  INTERNAL: 'ADS_ERR_INTERNAL',
  TARGETING: 'ADS_ERR_TARGETING',
} as const satisfies Record<string, Code>;

export class AdServerError extends SluiceError<Code> {}
