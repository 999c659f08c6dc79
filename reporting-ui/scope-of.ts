import type { FastifyRequest } from 'fastify';
import { UiError, UiErrorCode } from './errors.js';
import type { Scope } from './scope.js';

/**
 * The Scope of the logged-in caller, set by the server's onRequest hook on every non-public
 * route; a route reached without one answers 401 as the hook does.
 */
export function scopeOf(req: FastifyRequest): Scope {
  if (req.scope === null) throw new UiError(UiErrorCode.UNAUTHENTICATED, 'log in first (POST /api/login) or send an API key');
  return req.scope;
}
