import { ERRORS, type CodeOf, type ErrorCode } from './error-codes.js';

/**
 * Errors of the shared ground. Every tier's errors.ts narrows SluiceError to its own codes:
 * a stable code that tests and clients match on, a message for people, and the HTTP status
 * the registry (common/error-codes.ts) binds to the code.
 */
export class SluiceError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly statusCode: number;
  readonly details: unknown;

  constructor(code: C, message?: string, details?: unknown, cause?: unknown) {
    super(message ?? ERRORS[code].message, cause === undefined ? undefined : { cause });
    this.name = new.target.name; // each tier's class is named in stacks and logs without a constructor of its own
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.details = details;
  }
}

/** An error of the command line or of start-up: `sluice` exits 2 on these. */
export class CliError extends SluiceError<CodeOf<'CLI'> | CodeOf<'CFG'>> {}

/** Bad configuration: start-up stops with this one message listing every problem. */
export class ConfigError extends SluiceError<'CFG_ERR_INVALID'> {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], command: string) {
    super(
      'CFG_ERR_INVALID',
      `invalid configuration for 'sluice ${command}' (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
      problems,
    );
    this.problems = problems;
  }
}

/** Stable codes for why one event was rejected; the upload answer carries them per event. */
export const RejectCode = {
  NOT_OBJECT: 'EVT_NOT_OBJECT',
  MISSING_FIELD: 'EVT_MISSING_FIELD',
  BAD_TYPE: 'EVT_BAD_TYPE',
  BAD_VALUE: 'EVT_BAD_VALUE',
  UNKNOWN_TYPE: 'EVT_UNKNOWN_TYPE',
  FIELD_TOO_LONG: 'EVT_FIELD_TOO_LONG',
  MISSING_AD_FIELDS: 'EVT_MISSING_AD_FIELDS',
  MISSING_NAME: 'EVT_MISSING_NAME',
  BAD_PROPS: 'EVT_BAD_PROPS',
  TOO_OLD: 'EVT_TOO_OLD',
  IN_FUTURE: 'EVT_IN_FUTURE',
  APP_MISMATCH: 'EVT_APP_MISMATCH',
  TOO_DEEP: 'EVT_TOO_DEEP',
  /** A key or string value holds NUL (U+0000) or an unpaired surrogate (not well-formed UTF-16). */
  BAD_STRING: 'EVT_BAD_STRING',
  /** A field or prop named like an Object.prototype member (`__proto__`, `constructor`, ...) or `prototype`. */
  RESERVED_NAME: 'EVT_RESERVED_NAME',
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];
