/**
 * CSRF protection for the app's state-changing HTML forms that are not bound to a session of their own
 * [OWASP CSRF Prevention Cheat Sheet: "Signed Double-Submit Cookie" and "Verifying Origin"]:
 *
 * - `issueCsrfToken` puts a random nonce in a cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) and
 *   returns the form token, an HMAC of that nonce under a key derived from the master key;
 * - `requireSameOrigin` refuses a POST whose Origin header is missing or is not the app's own origin, before
 *   the body is read;
 * - `checkCsrfToken` compares the submitted token with the HMAC of the cookie's nonce in constant time.
 *
 * A forged cross-site form has neither the cookie's nonce (SameSite) nor a token matching it, and carries a
 * foreign Origin.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface CsrfOptions {
  /** HMAC key, e.g. `masterKey.deriveKey('signservice/csrf/v1')`. */
  key: Buffer;
  /** The app's public base URL; its origin is accepted besides the request's own. */
  publicBaseUrl: string;
  /** Cookie name; one per form family. @default 'signservice_csrf' */
  cookieName?: string;
}

const tokenOf = (key: Buffer, nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');

/** Sets the nonce cookie and returns the token to put into the form. */
export function issueCsrfToken(ctx: Context, options: CsrfOptions): string {
  const nonce = randomBytes(24).toString('base64url');
  ctx.cookies.set(options.cookieName ?? 'signservice_csrf', nonce, {
    httpOnly: true,
    sameSite: 'strict',
    secure: options.publicBaseUrl.startsWith('https:'),
    overwrite: true,
    path: '/',
  });
  return tokenOf(options.key, nonce);
}

/** Refuses a request whose Origin is absent or foreign. @throws AppError CSRF_REJECTED */
export function requireSameOrigin(options: Pick<CsrfOptions, 'publicBaseUrl'>): Middleware {
  const publicOrigin = new URL(options.publicBaseUrl).origin;
  return async function checkOrigin(ctx, next) {
    const origin = ctx.get('origin');
    // The origin the request reached (Koa 3's ctx.origin is the Origin header itself, so it cannot serve here).
    const reached = `${ctx.protocol}://${ctx.host}`;
    if (!origin || (origin !== publicOrigin && origin !== reached)) {
      throw new AppError(ErrorCode.CSRF_REJECTED, `the form was sent from ${origin || 'an unknown origin'}`);
    }
    await next();
  };
}

/** Checks a submitted form token against the cookie. @throws AppError CSRF_REJECTED */
export function checkCsrfToken(ctx: Context, submitted: string | undefined, options: CsrfOptions): void {
  const nonce = ctx.cookies.get(options.cookieName ?? 'signservice_csrf');
  const expected = nonce ? Buffer.from(tokenOf(options.key, nonce)) : undefined;
  const given = Buffer.from(submitted ?? '');
  if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new AppError(ErrorCode.CSRF_REJECTED, 'the form token does not match (reload the page and send it again)');
  }
}
