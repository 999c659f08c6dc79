/**
 * Every stable error code of every tier, in one place (fastify's `createError` style): the
 * HTTP status that goes with it and its message template, the text an error carries when
 * its thrower has nothing more specific to say. The README's "Error codes" section is made
 * from this table (`sluice errors --readme README.md`) and test/errors.test.ts fails when a
 * code is thrown but not here, here but never thrown, or missing from the README.
 */
interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

export const ERRORS = {
  // Configuration and the command line (CLI codes exit 2).
  CFG_ERR_INVALID: { status: 400, message: 'the configuration is invalid' },
  CFG_ERR_PORT_IN_USE: { status: 400, message: 'the port is already in use' },
  CLI_ERR_USAGE: { status: 400, message: 'bad command line' },
  CLI_ERR_UNKNOWN_COMMAND: { status: 400, message: 'unknown command' },
  CLI_ERR_UNKNOWN_JOB: { status: 400, message: 'unknown map/reduce job' },
  CLI_ERR_UNKNOWN_PHASE: { status: 400, message: 'unknown map/reduce phase (map or reduce)' },
  CLI_ERR_NO_MARKERS: { status: 400, message: 'the README has no generated-section markers' },
  // The report store.
  STORE_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  STORE_ERR_CONFLICT: { status: 409, message: 'already exists' },
  STORE_ERR_INVALID: { status: 400, message: 'invalid input' },
  STORE_ERR_UNAVAILABLE: { status: 503, message: 'the store is unavailable' },
  // The lake.
  LAKE_ERR_NOT_FOUND: { status: 404, message: 'no such object in the lake' },
  LAKE_ERR_BAD_KEY: { status: 400, message: 'bad lake key' },
  LAKE_ERR_UNAVAILABLE: { status: 503, message: 'the lake is unavailable' },
  LAKE_ERR_PROTOCOL: { status: 502, message: 'the lake answered something unexpected' },
  // Tracking.
  TRK_ERR_BAD_JSON: { status: 400, message: 'the body is not JSON' },
  TRK_ERR_BAD_GZIP: { status: 400, message: 'the gzip body is broken' },
  TRK_ERR_BAD_ENCODING: { status: 400, message: 'the body is not valid UTF-8' },
  TRK_ERR_BAD_BODY: { status: 400, message: 'the body is not { device, sent_at, events }' },
  TRK_ERR_NO_VALID_EVENTS: { status: 400, message: 'no event in the batch is valid; nothing was stored' },
  TRK_ERR_BAD_BEACON: { status: 400, message: 'the beacon is not valid' },
  TRK_ERR_BAD_REQUEST: { status: 400, message: 'bad request' },
  TRK_ERR_BAD_APP_KEY: { status: 401, message: 'missing or unknown app key' },
  TRK_ERR_NOT_FOUND: { status: 404, message: 'no such route' },
  TRK_ERR_BODY_TOO_LARGE: { status: 413, message: 'the body is too large' },
  TRK_ERR_BATCH_TOO_LARGE: { status: 413, message: 'too many events in one batch' },
  TRK_ERR_BODY_TOO_COMPLEX: { status: 413, message: 'the body nests too deep or holds too many values' },
  TRK_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'send the batch as application/json (optionally gzip-encoded)' },
  TRK_ERR_UNSUPPORTED_ENCODING: { status: 415, message: 'the content-encoding is not supported; send gzip or identity' },
  TRK_ERR_RATE_LIMITED: { status: 429, message: 'too many requests; slow down' },
  TRK_ERR_INTERNAL: { status: 500, message: 'internal error' },
  TRK_ERR_STORAGE: { status: 503, message: 'the disk write failed; nothing was acknowledged' },
  TRK_ERR_OVERLOADED: { status: 503, message: 'too much data is waiting for the disk; retry later' },
  TRK_ERR_BUSY: { status: 503, message: 'too many request bytes are held at once; retry later' },
  TRK_ERR_SHUTTING_DOWN: { status: 503, message: 'the server is shutting down' },
  // The ad server (and targeting expressions, compiled in common/).
  ADS_ERR_BAD_REQUEST: { status: 400, message: 'a parameter is missing or invalid' },
  ADS_ERR_FIELD_TOO_LONG: { status: 400, message: 'a parameter is longer than its limit' },
  ADS_ERR_TARGETING: { status: 400, message: 'the targeting expression is not valid' },
  ADS_ERR_NOT_FOUND: { status: 404, message: 'no such route' },
  ADS_ERR_QUERY_TOO_LONG: { status: 414, message: 'the query string is too long' },
  ADS_ERR_INTERNAL: { status: 500, message: 'internal error' },
  // The pipeline.
  PIPE_ERR_LEASE_LOST: { status: 409, message: 'the segment lease was lost; the work is dropped, not committed' },
  // Batch jobs and the map/reduce jobs.
  JOB_ERR_BAD_RANGE: { status: 400, message: 'bad day range' },
  JOB_ERR_UNKNOWN_WORKFLOW: { status: 400, message: 'unknown workflow or step' },
  JOB_ERR_LOCKED: { status: 409, message: 'another run holds the lock' },
  JOB_ERR_BAD_INPUT: { status: 500, message: 'the input cannot be processed' },
  JOB_ERR_STATE_CORRUPT: { status: 500, message: 'the jobs state is corrupt' },
  JOB_ERR_STEP_FAILED: { status: 500, message: 'a workflow step failed' },
  JOB_ERR_MR_BAD_LINE: { status: 500, message: 'an input line is not what the job reads' },
  JOB_ERR_MR_UNSORTED: { status: 500, message: 'reduce input is not sorted by key' },
  JOB_ERR_MR_BAD_EMIT: { status: 500, message: 'a job emitted a key or value that is not printable ASCII' },
  JOB_ERR_MR_UNKNOWN_JOB: { status: 500, message: 'the workers cannot find the job by name' },
  // The reporting UI and its API.
  UI_ERR_BAD_REQUEST: { status: 400, message: 'bad request' },
  UI_ERR_FUNNEL_INVALID: { status: 400, message: 'the funnel definition is not valid' },
  UI_ERR_UNAUTHENTICATED: { status: 401, message: 'sign in first' },
  UI_ERR_BAD_LOGIN: { status: 401, message: 'wrong e-mail or password' },
  UI_ERR_FORBIDDEN: { status: 403, message: 'your role may not do this' },
  UI_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  UI_ERR_FUNNEL_LIMIT: { status: 409, message: 'the app has as many funnels as it may' },
  UI_ERR_RATE_LIMITED: { status: 429, message: 'too many attempts; retry later' },
  UI_ERR_INTERNAL: { status: 500, message: 'internal error' },
  UI_ERR_BUSY: { status: 503, message: 'too many request bytes are held at once; retry later' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
/** The codes of one tier, by prefix: `CodeOf<'TRK'>` is every `TRK_ERR_*`. */
export type CodeOf<P extends string> = Extract<ErrorCode, `${P}_ERR_${string}`>;

/** One error body for every HTTP tier. */
interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
}

/** The answer body of an error: `{ statusCode, code, message, details? }`. */
export function errorBody(statusCode: number, code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined || details === null ? { statusCode, code, message } : { statusCode, code, message, details };
}
