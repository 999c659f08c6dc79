import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { StoreError, StoreErrorCode } from '../../store/errors.js';
import { badRequest, notVisible, UiError, UiErrorCode } from '../errors.js';
import { pageRows } from '../paging.js';
import { verifyPassword } from '../passwords.js';
import { scopeOf } from '../scope-of.js';
import type { UiAppOptions } from '../server.js';
import { SESSION_COOKIE } from '../sessions.js';

const User = Type.Object({
  id: Type.String(), email: Type.String(), role: Type.String(),
  publisher_id: Type.Union([Type.String(), Type.Null()]), advertiser_id: Type.Union([Type.String(), Type.Null()]),
});
// A fixed hash to verify against when the e-mail is unknown, so both answers take as long.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Log-in attempts per client address in the current minute. */
class LoginLimiter {
  private minute = 0;
  private counts = new Map<string, number>();
  constructor(private readonly perMinute: number) {}
  take(ip: string, now = Date.now()): boolean {
    const m = Math.floor(now / 60_000);
    if (m !== this.minute) (this.minute = m), this.counts.clear();
    const n = (this.counts.get(ip) ?? 0) + 1;
    this.counts.set(ip, n);
    return n <= this.perMinute;
  }
}

export function authRoutes(o: UiAppOptions) {
  const limiter = new LoginLimiter(o.loginRatePerMinute);
  return async (app: FastifyInstance) => {
    app.post('/api/login', {
      config: { access: 'public' },
      schema: { tags: ['auth'], summary: 'log in: sets the HttpOnly session cookie', body: Type.Object({ email: Type.String({ maxLength: 255 }), password: Type.String({ maxLength: 1024 }) }), response: { 200: Type.Object({ user: User }) } },
    }, async (req, reply) => {
      if (!limiter.take(req.ip)) {
        void reply.header('retry-after', '60');
        throw new UiError(UiErrorCode.RATE_LIMITED, 'too many log-in attempts from this address; try again in a minute');
      }
      const { email, password } = req.body as { email: string; password: string };
      const found = await o.store.userByEmail(email);
      const ok = await verifyPassword(password, found?.password_hash ?? DUMMY_HASH);
      if (!found || !ok) {
        o.metrics.failedLogins++;
        throw new UiError(UiErrorCode.BAD_LOGIN, 'wrong e-mail or password');
      }
      const { password_hash: _omit, ...user } = found;
      const token = o.sessions.create(user);
      void reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure: o.secureCookies, path: '/', maxAge: o.sessionHours * 3600 });
      return { user };
    });

    app.post('/api/logout', { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'ends the session' } }, async (req, reply) => {
      o.sessions.end(req.cookies[SESSION_COOKIE]);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    });

    app.get('/api/me', { schema: { tags: ['auth'], summary: 'who is logged in', response: { 200: Type.Object({ user: User }) } } }, async (req) => ({ user: scopeOf(req).user }));

    const KeyInfo = { id: Type.String(), created_at: Type.Integer(), expires_at: Type.Union([Type.Integer(), Type.Null()]) };
    app.post('/api/me/api-keys', {
      schema: {
        tags: ['auth'], summary: 'a new API key for scripts (shown once; only its hash is kept), optionally expiring after expires_in_days (1 to 3650) given in the body',
        response: { 200: Type.Object({ key: Type.String(), ...KeyInfo }) },
      },
    }, async (req) => {
      // The body is optional (a bare POST makes a key that never expires), so it is checked here, not by a schema.
      const days = (req.body as { expires_in_days?: unknown } | null | undefined)?.expires_in_days;
      if (days !== undefined && !(Number.isInteger(days) && (days as number) >= 1 && (days as number) <= 3650)) throw badRequest('expires_in_days: expected a whole number of days from 1 to 3650', { field: 'expires_in_days' });
      return o.store.createApiKey(scopeOf(req).user.id, days === undefined ? null : Date.now() + (days as number) * 86_400_000);
    });
    app.get('/api/me/api-keys', {
      schema: {
        tags: ['auth'], summary: 'your API keys (ids and expiry, never the secret); paged with ?limit (1–1000) and ?offset, answering total',
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })) }),
        response: { 200: Type.Object({ api_keys: Type.Array(Type.Object(KeyInfo)), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }) },
      },
    }, async (req) => {
      const p = pageRows(await o.store.listApiKeys(scopeOf(req).user.id), req.query as { limit?: number; offset?: number });
      return { api_keys: p.rows, total: p.total, limit: p.limit, offset: p.offset };
    });
    app.delete('/api/me/api-keys/:id', {
      schema: { tags: ['auth'], summary: 'revoke one of your API keys at once', params: Type.Object({ id: Type.String({ maxLength: 64 }) }) },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      try {
        await o.store.revokeApiKey(scopeOf(req).user.id, id);
      } catch (err) {
        if (err instanceof StoreError && err.code === StoreErrorCode.NOT_FOUND) throw notVisible('api key', id);
        throw err;
      }
      return reply.code(204).send();
    });
  };
}
