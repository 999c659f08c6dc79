import { SluiceError } from '../common/errors.js';

export const LakeErrorCode = {
  NOT_FOUND: 'LAKE_ERR_NOT_FOUND',
  BAD_KEY: 'LAKE_ERR_BAD_KEY',
  UNAVAILABLE: 'LAKE_ERR_UNAVAILABLE',
  PROTOCOL: 'LAKE_ERR_PROTOCOL',
} as const;

export class LakeError extends SluiceError {
  constructor(code: (typeof LakeErrorCode)[keyof typeof LakeErrorCode], message: string, statusCode = 503) {
    super(code, message, statusCode);
    this.name = 'LakeError';
  }
}

/** Rejects keys that could escape the lake or confuse a backend. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((p) => p === '' || p === '.' || p === '..') || key.includes('\\') || key.includes('\0')) {
    throw new LakeError(LakeErrorCode.BAD_KEY, `bad lake key ${JSON.stringify(key)}`, 400);
  }
  return key;
}
