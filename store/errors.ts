import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

/** Stable codes of the report store's errors; the HTTP status goes with each. */
export const StoreErrorCode = {
  NOT_FOUND: 'STORE_ERR_NOT_FOUND',
  CONFLICT: 'STORE_ERR_CONFLICT',
  INVALID: 'STORE_ERR_INVALID',
  UNAVAILABLE: 'STORE_ERR_UNAVAILABLE',
} as const satisfies Record<string, CodeOf<'STORE'>>;
/**
 * Stable codes of money problems: each such sentence in a STORE_ERR_INVALID's `details`
 * starts with its code (store/validate.ts).
 */
export const MoneyProblem = {
  BAD_AMOUNT: 'STORE_ERR_BAD_AMOUNT',
  BAD_CURRENCY: 'STORE_ERR_BAD_CURRENCY',
  BAD_PRICE_MODEL: 'STORE_ERR_BAD_PRICE_MODEL',
  BAD_REV_SHARE: 'STORE_ERR_BAD_REV_SHARE',
} as const;
export type StoreErrorCode = CodeOf<'STORE'>;

/**
 * An error of the report store. `details` carries the list of problems for
 * STORE_ERR_INVALID; `cause` keeps the driver's error (never shown to clients).
 */
export class StoreError extends SluiceError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string, details?: unknown, cause?: unknown) {
    super(code, message, details, cause);
  }
}

export const notFound = (what: string, id: string): StoreError =>
  new StoreError(StoreErrorCode.NOT_FOUND, `${what} ${JSON.stringify(id)} not found`);

export const invalid = (what: string, problems: readonly string[]): StoreError =>
  new StoreError(StoreErrorCode.INVALID, `invalid ${what}: ${problems.join('; ')}`, problems);

export const conflict = (message: string, cause?: unknown): StoreError => new StoreError(StoreErrorCode.CONFLICT, message, undefined, cause);

export const unavailable = (message: string, cause?: unknown): StoreError => new StoreError(StoreErrorCode.UNAVAILABLE, message, undefined, cause);
