import { SluiceError } from '../common/errors.js';

export const AdErrorCode = {
  BAD_REQUEST: 'ADS_ERR_BAD_REQUEST',
  TARGETING: 'ADS_ERR_TARGETING',
  STORE_DOWN: 'ADS_ERR_STORE_DOWN',
} as const;

export class AdServerError extends SluiceError {
  constructor(code: (typeof AdErrorCode)[keyof typeof AdErrorCode], message: string, statusCode = 400) {
    super(code, message, statusCode);
    this.name = 'AdServerError';
  }
}
