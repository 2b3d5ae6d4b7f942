/**
 * The security policy of pages that Bitrix24 shows in its iframe (the Sign dialog, the approval page):
 * framing is allowed for the portal's own origins only [CSP Level 3 §7.7 frame-ancestors], and scripts and
 * fetches only from this app ('self': the page's script is a static file, no inline script). Everything
 * else stays as security-headers.ts sets it: no inline style without the request's nonce, no Referer.
 */
import type { Context } from 'koa';
import type { Portal } from '../../shared/domain/portal.js';

/** The origins a portal's pages are served from: its domain over https, and its REST endpoint's origin. */
export function portalOrigins(portal: Pick<Portal, 'domain' | 'clientEndpoint'>): string[] {
  const origins = new Set<string>();
  if (/^[A-Za-z0-9.-]+(:\d+)?$/.test(portal.domain)) origins.add(`https://${portal.domain.toLowerCase()}`);
  try {
    origins.add(new URL(portal.clientEndpoint).origin);
  } catch {
    // A stored endpoint was checked at install; nothing to add if it cannot be parsed now.
  }
  return [...origins];
}

/** Replaces the page's CSP with the framed-page policy; `frameAncestors` empty means "not framed". */
export function allowFramingBy(ctx: Context, frameAncestors: readonly string[]): void {
  const nonce = ctx.state.cspNonce as string;
  ctx.set(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      "script-src 'self'",
      `style-src 'self' 'nonce-${nonce}'`,
      "img-src 'self' data:",
      "connect-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
    ].join('; '),
  );
  if (frameAncestors.length > 0) ctx.remove('X-Frame-Options');
}
