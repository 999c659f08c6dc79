import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A signed ad decision, carried in beacon URLs: the ad server signs it, tracking verifies it,
 * so a forged beacon is recognised and not counted as an impression or click.
 * Format: base64url(JSON payload) "." base64url(HMAC-SHA256(payload)).
 */
export interface Decision {
  /** Decision id, unique per ad answer. */
  d: string;
  app: string;
  slot: string;
  campaign: string;
  creative: string;
  line_item?: string;
  device?: string;
  /** Issued at and expires at, ms. */
  iat: number;
  exp: number;
  /** Click-through URL the click beacon redirects to. */
  url?: string;
}

export type VerifyResult = { ok: true; decision: Decision } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signDecision(decision: Decision, secret: string): string {
  const payload = Buffer.from(JSON.stringify(decision)).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export function verifyDecision(token: string, secret: string, now = Date.now()): VerifyResult {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 4096) return { ok: false, reason: 'malformed' };
  const payload = token.slice(0, dot);
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(secret, payload);
  if (sig.length !== want.length || !timingSafeEqual(sig, want)) return { ok: false, reason: 'forged' };
  let decision: Decision;
  try {
    decision = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Decision;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof decision.d !== 'string' || typeof decision.exp !== 'number') return { ok: false, reason: 'malformed' };
  if (decision.exp < now) return { ok: false, reason: 'expired' };
  return { ok: true, decision };
}
