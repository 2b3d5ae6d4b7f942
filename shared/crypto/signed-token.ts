/**
 * Compact stateless tokens for links and page sessions: `base64url(JSON claims) "." base64url(HMAC-SHA256)`
 * [RFC 2104], keyed with a purpose-specific key derived from the master key (MasterKey.deriveKey), so any
 * activity instance can check a token without shared state, and a token made for one purpose (a dialog
 * session) never passes as another (an approval link). Every token carries its expiry (`exp`, unix
 * seconds); the claims are readable by whoever holds the token, so they never hold secrets.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims common to every token. */
export interface TokenClaims {
  /** Expiry, unix seconds. */
  exp: number;
}

/** Why a token was refused. */
export type TokenRefusal = 'malformed' | 'forged' | 'expired';

/** A refused token; an expired one still says what it was for (e.g. to show a request's outcome). */
export type TokenCheck<C> =
  | { ok: true; claims: C }
  | { ok: false; reason: 'malformed' | 'forged' }
  | { ok: false; reason: 'expired'; claims: C };

/** Longest token accepted (a few hundred characters in practice). */
const MAX_TOKEN_LENGTH = 2048;

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body, 'utf8').digest();
}

/** Signs `claims` with `key`. */
export function signToken<C extends TokenClaims>(key: Buffer, claims: C): string {
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/**
 * Checks a token's MAC (in constant time) and expiry and returns its claims; `valid` then checks their
 * shape (the MAC proves we made them, `valid` keeps old token versions out).
 */
export function verifyToken<C extends TokenClaims>(
  key: Buffer,
  token: string,
  nowMs: number,
  valid: (claims: Record<string, unknown>) => boolean,
): TokenCheck<C> {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(token)) {
    return { ok: false, reason: 'malformed' };
  }
  const [body = '', given = ''] = token.split('.');
  const expected = mac(key, body);
  const presented = Buffer.from(given, 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: 'forged' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, reason: 'malformed' };
  const record = parsed as Record<string, unknown>;
  if (typeof record.exp !== 'number' || !valid(record)) return { ok: false, reason: 'malformed' };
  const claims = record as unknown as C;
  if (record.exp * 1000 <= nowMs) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}
