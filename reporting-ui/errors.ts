import type { CodeOf } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';

/** Stable codes of the reporting UI and API; clients and tests match on them. */
export const UiErrorCode = {
  UNAUTHENTICATED: 'UI_ERR_UNAUTHENTICATED',
  BAD_LOGIN: 'UI_ERR_BAD_LOGIN',
  FORBIDDEN: 'UI_ERR_FORBIDDEN',
  NOT_FOUND: 'UI_ERR_NOT_FOUND',
  BAD_REQUEST: 'UI_ERR_BAD_REQUEST',
  RATE_LIMITED: 'UI_ERR_RATE_LIMITED',
  BUSY: 'UI_ERR_BUSY',
  INTERNAL: 'UI_ERR_INTERNAL',
  FUNNEL_INVALID: 'UI_ERR_FUNNEL_INVALID',
  FUNNEL_LIMIT: 'UI_ERR_FUNNEL_LIMIT',
} as const satisfies Record<string, CodeOf<'UI'>>;
export type UiErrorCode = CodeOf<'UI'>;

export class UiError extends SluiceError<UiErrorCode> {
  constructor(code: UiErrorCode, message?: string, details?: unknown) {
    super(code, message, details);
  }
}

export const forbidden = (what: string): UiError => new UiError(UiErrorCode.FORBIDDEN, `your role may not ${what}`);
/** Another tenant's object answers the same as a missing one: its existence is not revealed. */
export const notVisible = (what: string, id: string): UiError => new UiError(UiErrorCode.NOT_FOUND, `${what} ${JSON.stringify(id)} not found`);
export const badRequest = (message: string, details?: unknown): UiError => new UiError(UiErrorCode.BAD_REQUEST, message, details);
