import { randomBytes } from 'node:crypto';
import type { User } from '../store/users.js';

export const SESSION_COOKIE = 'sluice_session';
const MAX_SESSIONS = 100_000;

interface Session {
  user: User;
  expires: number;
}

/**
 * Log-in sessions, in memory: a random 256-bit token (the HttpOnly cookie) maps to the user.
 * A restart of the UI logs everyone out; several UI processes need sticky sessions.
 */
export class Sessions {
  private readonly byToken = new Map<string, Session>();
  constructor(private readonly ttlMs: number) {}

  create(user: User, now = Date.now()): string {
    if (this.byToken.size >= MAX_SESSIONS) this.sweep(now);
    // Still full: drop the oldest (Map keeps insertion order).
    if (this.byToken.size >= MAX_SESSIONS) {
      const oldest = this.byToken.keys().next();
      if (!oldest.done) this.byToken.delete(oldest.value);
    }
    const token = randomBytes(32).toString('base64url');
    this.byToken.set(token, { user, expires: now + this.ttlMs });
    return token;
  }

  user(token: string | undefined, now = Date.now()): User | undefined {
    if (!token) return undefined;
    const s = this.byToken.get(token);
    if (!s) return undefined;
    if (s.expires <= now) {
      this.byToken.delete(token);
      return undefined;
    }
    return s.user;
  }

  end(token: string | undefined): void {
    if (token) this.byToken.delete(token);
  }

  /** Ends every session of a user (deleted, or its tenant changed). */
  endUser(userId: string): void {
    for (const [t, s] of this.byToken) if (s.user.id === userId) this.byToken.delete(t);
  }

  private sweep(now: number): void {
    for (const [t, s] of this.byToken) if (s.expires <= now) this.byToken.delete(t);
  }
}
