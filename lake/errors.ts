import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

type Code = CodeOf<'LAKE'>;
/** Stable codes of the lake (status and template in common/error-codes.ts). */
export const LakeErrorCode = {
  NOT_FOUND: 'LAKE_ERR_NOT_FOUND',
  BAD_KEY: 'LAKE_ERR_BAD_KEY',
  UNAVAILABLE: 'LAKE_ERR_UNAVAILABLE',
  PROTOCOL: 'LAKE_ERR_PROTOCOL',
} as const satisfies Record<string, Code>;

export class LakeError extends SluiceError<Code> {}

/** Rejects keys that could escape the lake or confuse a backend. */
export function checkKey(key: string): string {
  if (key === '' || key.startsWith('/') || key.split('/').some((p) => p === '' || p === '.' || p === '..') || key.includes('\\') || key.includes('\0')) {
    throw new LakeError(LakeErrorCode.BAD_KEY, `bad lake key ${JSON.stringify(key)}`);
  }
  return key;
}

/**
 * Checks a list prefix: '' (everything), or a string whose part up to its last '/' is a
 * valid key (the directory to walk). Returns that directory part ('' for the root).
 */
export function checkPrefix(prefix: string): string {
  const slash = prefix.lastIndexOf('/');
  const dir = slash === -1 ? '' : prefix.slice(0, slash);
  try {
    if (slash !== -1) checkKey(dir);
    if (prefix.includes('\\') || prefix.includes('\0')) checkKey(prefix);
  } catch {
    throw new LakeError(LakeErrorCode.BAD_KEY, `bad lake prefix ${JSON.stringify(prefix)}`);
  }
  return dir;
}

/** The order every lake lists keys in: by UTF-16 code units, the same on every backend. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
