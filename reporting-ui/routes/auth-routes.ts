import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { UiError, UiErrorCode } from '../errors.js';
import { verifyPassword } from '../passwords.js';
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

    app.post('/api/logout', { schema: { tags: ['auth'], summary: 'ends the session' } }, async (req, reply) => {
      o.sessions.end(req.cookies[SESSION_COOKIE]);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    });

    app.get('/api/me', { schema: { tags: ['auth'], summary: 'who is logged in', response: { 200: Type.Object({ user: User }) } } }, async (req) => ({ user: req.user! }));

    app.post('/api/me/api-keys', {
      schema: { tags: ['auth'], summary: 'a new API key for scripts (shown once; only its hash is kept)', response: { 200: Type.Object({ key: Type.String() }) } },
    }, async (req) => ({ key: await o.store.createApiKey(req.user!.id) }));
  };
}
