/**
 * TOTP codes [RFC 6238]: the time step of an instant, the code of a step, and matching a typed code
 * against the steps around now. Pure functions; the account state lives in verify-totp.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { TOTP_PARAMS } from './totp-secret.js';

/** The RFC 6238 time step T = floor(unix seconds / 30) at `at`. */
export function totpStep(at: Date): number {
  return TOTP.counter({ period: TOTP_PARAMS.period, timestamp: at.getTime() });
}

/** The code an authenticator shows for `secret` at time step `step`. */
export function totpCodeAt(secret: Buffer, step: number): string {
  return TOTP.generate({
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
    algorithm: TOTP_PARAMS.algorithm,
    digits: TOTP_PARAMS.digits,
    period: TOTP_PARAMS.period,
    timestamp: step * TOTP_PARAMS.period * 1000,
  });
}

/**
 * The time steps within `window` steps of `at` whose code equals `code` (normally none or one), compared
 * in constant time. Steps are returned in ascending order.
 * @default window 1: "at most one time step" of delay [RFC 6238 §5.2]
 */
export function matchTotpCode(options: { secret: Buffer; code: string; at: Date; window?: number }): number[] {
  const window = options.window ?? 1;
  const given = Buffer.from(options.code);
  const current = totpStep(options.at);
  const matches: number[] = [];
  for (let step = current - window; step <= current + window; step++) {
    const expected = Buffer.from(totpCodeAt(options.secret, step));
    if (expected.length === given.length && timingSafeEqual(expected, given)) matches.push(step);
  }
  return matches;
}

/** A code as typed: digits, possibly with spaces or a dash ("123 456"). */
export function normalizeOtpCode(code: string): string {
  return code.replace(/[\s-]/g, '');
}

/** Whether a normalized code has the shape of a code at all (6 digits). */
export function isWellFormedOtpCode(code: string): boolean {
  return code.length === TOTP_PARAMS.digits && /^\d+$/.test(code);
}
