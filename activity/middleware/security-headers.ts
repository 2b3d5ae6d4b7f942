/**
 * Security headers for every answer of the activity app. The content security policy allows nothing but
 * our own form target, data: images (the QR code) and the one inline style block carrying this request's
 * nonce [CSP Level 3 §7.2]; no scripts at all. Pages may not be framed (the Bitrix24 iframe pages will
 * relax `frameAncestors` for their own routes) and send a Referer to this app only, because enrollment and
 * approval URLs carry tokens [RFC 9110 §10.1.3 lets the Referer leak the whole URL otherwise]:
 * `same-origin` rather than `no-referrer`, because with `no-referrer` browsers send `Origin: null` on a
 * page's own form POSTs [Fetch §3.1 "serializing a request origin"; Chromium does so], and the CSRF guard
 * needs the real origin.
 */
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';

export interface SecurityHeadersOptions {
  /**
   * CSP frame-ancestors sources; 'none' also sends X-Frame-Options: DENY for old browsers.
   * @default "'none'"
   */
  frameAncestors?: string;
  /** Send Strict-Transport-Security (only behind HTTPS). @default false */
  hsts?: boolean;
}

/** Sets the headers and `ctx.state.cspNonce` for templates' inline style. */
export function securityHeaders(options: SecurityHeadersOptions = {}): Middleware {
  const frameAncestors = options.frameAncestors ?? "'none'";
  return async function setSecurityHeaders(ctx, next) {
    // base64url: no '=' padding, which HTML escaping would turn into an entity.
    const nonce = randomBytes(16).toString('base64url');
    ctx.state.cspNonce = nonce;
    ctx.set({
      'Content-Security-Policy': [
        "default-src 'none'",
        `style-src 'nonce-${nonce}'`,
        "img-src 'self' data:",
        "form-action 'self'",
        "base-uri 'none'",
        `frame-ancestors ${frameAncestors}`,
      ].join('; '),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    });
    if (frameAncestors === "'none'") ctx.set('X-Frame-Options', 'DENY');
    if (options.hsts) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    await next();
  };
}

/** Marks an answer as never to be stored by the browser or a proxy (pages showing secrets). */
export function noStore(ctx: { set(field: string, value: string): void }): void {
  ctx.set('Cache-Control', 'no-store, max-age=0');
  ctx.set('Pragma', 'no-cache');
}
