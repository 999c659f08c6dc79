import { SluiceError } from '../errors.js';

/** The stable code of every targeting-expression error (matches AdErrorCode.TARGETING). */
export const TARGETING_ERROR_CODE = 'ADS_ERR_TARGETING';

/**
 * A targeting expression that cannot be compiled. `position` is the 0-based character
 * offset (UTF-16 code unit, as in JS strings) of the problem in the source; the message
 * already says "at position N" and is meant for the ad operations person who wrote it.
 */
export class TargetingError extends SluiceError {
  readonly position: number;

  constructor(message: string, position: number) {
    super(TARGETING_ERROR_CODE, message, 400, { position });
    this.name = 'TargetingError';
    this.position = position;
  }
}
