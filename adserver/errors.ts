import { SluiceError } from '../common/errors.js';

export const AdErrorCode = {
  /** 400: a parameter is missing or invalid. */
  BAD_REQUEST: 'ADS_ERR_BAD_REQUEST',
  /** 400: a parameter is longer than its limit (device 128, app and slot 64, ...). */
  FIELD_TOO_LONG: 'ADS_ERR_FIELD_TOO_LONG',
  /** 414: the whole query string is longer than 4,096 characters. */
  QUERY_TOO_LONG: 'ADS_ERR_QUERY_TOO_LONG',
  /** 404: no route matched. */
  NOT_FOUND: 'ADS_ERR_NOT_FOUND',
  /** 500: an unexpected error while answering. */
  INTERNAL: 'ADS_ERR_INTERNAL',
  TARGETING: 'ADS_ERR_TARGETING',
  STORE_DOWN: 'ADS_ERR_STORE_DOWN',
} as const;

export class AdServerError extends SluiceError {
  constructor(code: (typeof AdErrorCode)[keyof typeof AdErrorCode], message: string, statusCode = 400) {
    super(code, message, statusCode);
    this.name = 'AdServerError';
  }
}
