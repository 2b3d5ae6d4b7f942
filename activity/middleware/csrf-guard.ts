/**
 * The one CSRF defence of every state-changing call a browser makes to the app (the approval page's approve
 * and reject, the Sign dialog's sign, the enrollment page's POSTs, the admin panel's forms and API calls, the
 * verification page's upload), two checks that both must pass before the route runs:
 *
 * 1. **Origin.** The request's `Origin` must be exactly PUBLIC_BASE_URL's origin; without an `Origin` header
 *    its `Referer`'s origin counts; with neither, or `Origin: null` (sandboxed frames, privacy-stripped
 *    requests), it is refused [RFC 6454 §7; OWASP CSRF Prevention Cheat Sheet, "Verifying Origin With
 *    Standard Headers"]. Our pages send `Referrer-Policy: same-origin`, so browsers send the real origin on
 *    their own POSTs and nothing to other sites.
 * 2. **Token.** A token bound to what the page itself was opened with — its signed session or link — sent
 *    as the `X-CSRF-Token` header (scripts) or the `csrf_token` form field (plain forms), compared in
 *    constant time with HMAC-SHA256(key derived from the master key, binding) [OWASP: "Signed Double-Submit
 *    Cookie"/HMAC CSRF tokens, without the cookie: the binding comes from the URL or the session header].
 *    It needs no server state, so every activity instance checks it, and a token for one link or session
 *    never passes for another.
 *
 * Generic: a route says only what its binding is (`binding(ctx)`); for forms the guard goes after the body
 * parser (it reads `ctx.state.form`). The admin panel uses the same guard with its own session as binding.
 *
 * **Pages with no session or link** (the public verification page, a multipart upload anyone may send): the
 * page issues a random nonce in a cookie (`issuePageNonce`: HttpOnly, SameSite=Strict, Secure over HTTPS,
 * host-only, two hours, kept while the browser has one so several open tabs stay valid) and binds its
 * form's token to that nonce (`pageNonceOf` reads it back on the POST). Chosen over a token that is an HMAC of
 * an issued-at time: such a token proves only that somebody loaded the public page — an attacker can fetch
 * one for themselves and put it in a forged form, leaving Origin as the only defence — while a nonce-bound
 * token is worth nothing without the cookie, which another site can neither read nor make the browser send.
 * So those pages get the same two independent checks as the others. Such a route checks Origin before it
 * reads the body (`checkRequestOrigin`) and the token once it has parsed the form (`checkCsrfToken`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** The header scripts send the token in. */
export const CSRF_HEADER = 'x-csrf-token';
/** The hidden field plain HTML forms send the token in. */
export const CSRF_FIELD = 'csrf_token';

/** HKDF purpose of the token key. */
const PURPOSE = 'signservice/csrf-token/v1';

/** Makes and checks tokens bound to a page's session or link. */
export interface CsrfTokens {
  /** The token for `binding` (e.g. `approval:<link token>`); put it in the page. */
  tokenFor(binding: string): string;
  /** Constant-time check of a presented token against `binding`. */
  matches(presented: string | undefined, binding: string): boolean;
}

/** The token maker over a key derived from the master key. */
export function csrfTokens(masterKey: MasterKey): CsrfTokens {
  const key = masterKey.deriveKey(PURPOSE);
  const tokenFor = (binding: string) => createHmac('sha256', key).update(binding, 'utf8').digest('base64url');
  return {
    tokenFor,
    matches(presented, binding) {
      if (!presented) return false;
      const expected = Buffer.from(tokenFor(binding));
      const given = Buffer.from(presented);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export interface CsrfGuardOptions {
  tokens: CsrfTokens;
  /** The one origin our pages are served from: `new URL(PUBLIC_BASE_URL).origin`. */
  origin: string;
  /**
   * What this request's token must be bound to — the session or link the page was opened with, read from
   * the URL or a header (never from anything the token itself could choose). Throw to refuse.
   */
  binding: (ctx: Context) => string | Promise<string>;
}

/** The origin a request says it comes from: Origin, else the Referer's origin; undefined when neither. */
export function requestOrigin(ctx: Context): string | undefined {
  const origin = ctx.get('origin');
  if (origin) return origin;
  const referer = ctx.get('referer');
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

function refuse(why: string): AppError {
  return new AppError(
    ErrorCode.CSRF_REJECTED,
    `This request did not come from a SignService page (${why}); reload the page and try again`,
    { details: { reason: why } },
  );
}

/**
 * Check 1 alone: the request comes from `origin` (PUBLIC_BASE_URL). For a state change that is bound to no
 * page session yet — the control panel's sign-in — where there is nothing to bind a token to.
 * @throws AppError CSRF_REJECTED
 */
export function checkRequestOrigin(ctx: Context, origin: string): void {
  const expectedOrigin = new URL(origin).origin;
  const from = requestOrigin(ctx);
  if (from === undefined) throw refuse('neither Origin nor Referer');
  if (from !== expectedOrigin) throw refuse(`origin ${from.slice(0, 100)} is not ${expectedOrigin}`);
}

/**
 * Check 2 alone: `presented` is the token of `binding`. For a form the route parses itself (a multipart
 * upload), after `checkRequestOrigin`. @throws AppError CSRF_REJECTED
 */
export function checkCsrfToken(tokens: CsrfTokens, presented: string | undefined, binding: string): void {
  if (!presented) throw refuse('no CSRF token');
  if (!tokens.matches(presented, binding)) throw refuse('the CSRF token does not fit');
}

/** Both checks, for callers that decide per request whether the guard applies. @throws AppError CSRF_REJECTED */
export async function checkCsrf(ctx: Context, options: CsrfGuardOptions): Promise<void> {
  checkRequestOrigin(ctx, options.origin);
  const form = ctx.state.form as URLSearchParams | undefined;
  const presented = ctx.get(CSRF_HEADER) || form?.get(CSRF_FIELD) || undefined;
  if (!presented) throw refuse('no CSRF token');
  checkCsrfToken(options.tokens, presented, await options.binding(ctx));
}

/** The cookie of a sessionless page's nonce, and how long it lives. */
export const PAGE_NONCE_COOKIE = 'signservice_page_nonce';
const PAGE_NONCE_MAX_AGE_S = 2 * 60 * 60;
const NONCE_FORMAT = /^[A-Za-z0-9_-]{32}$/;

/**
 * The nonce a sessionless page binds its CSRF token to: the browser's own (still well-formed) or a new one,
 * (re)set in the page-nonce cookie either way, so its two hours start again.
 */
export function issuePageNonce(ctx: Context, options: { secure: boolean }): string {
  const sent = ctx.cookies.get(PAGE_NONCE_COOKIE);
  const nonce = sent && NONCE_FORMAT.test(sent) ? sent : randomBytes(24).toString('base64url');
  // Written by hand, as the panel's session cookie: behind a TLS-terminating proxy the connection Koa sees is
  // plain HTTP, and its cookie writer refuses `Secure` there.
  const parts = [
    `${PAGE_NONCE_COOKIE}=${nonce}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${PAGE_NONCE_MAX_AGE_S}`,
  ];
  if (options.secure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
  return nonce;
}

/** The page nonce the browser sent back with a POST. @throws AppError CSRF_REJECTED when there is none */
export function pageNonceOf(ctx: Context): string {
  const nonce = ctx.cookies.get(PAGE_NONCE_COOKIE);
  if (!nonce || !NONCE_FORMAT.test(nonce)) throw refuse('the page’s cookie is missing (it lasts two hours)');
  return nonce;
}

/** The middleware: refuses with CSRF_REJECTED (403) before the route runs, changing nothing. */
export function csrfGuard(options: CsrfGuardOptions): Middleware {
  return async function guardCsrf(ctx, next) {
    await checkCsrf(ctx, options);
    await next();
  };
}
