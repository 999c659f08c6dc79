import { SluiceError } from '../errors.js';

/**
 * A targeting expression that cannot be compiled. `position` is the 0-based character
 * offset (UTF-16 code unit, as in JS strings) of the problem in the source; the message
 * already says "at position N" and is meant for the ad operations person who wrote it.
 */
export class TargetingError extends SluiceError<'ADS_ERR_TARGETING'> {
  readonly position: number;

  constructor(message: string, position: number) {
    super('ADS_ERR_TARGETING', message, { position });
    this.position = position;
  }
}
