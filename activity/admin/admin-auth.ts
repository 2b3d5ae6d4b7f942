/**
 * Who is calling the admin API and the panel, proven on the server, and the CSRF defence of every state
 * change. Three ways in:
 * - `Authorization: Bearer <API token>` (scripts): no cookie is involved, so no CSRF is possible;
 * - the `signservice_admin` cookie (the standalone panel): HttpOnly, SameSite=Strict, Secure over HTTPS;
 *   every state change must also carry the session's CSRF token in `X-CSRF-Token` and an Origin of this
 *   service (OWASP: synchronizer token + origin check);
 * - the `X-Panel-Session` header (the panel inside Bitrix24, a third-party frame where browsers may drop
 *   cookies): the page's script holds the session id and sends it; CSRF token and Origin are checked too.
 * A session still in TOTP set-up is not signed in; it only lets the set-up be confirmed.
 */
import type { Context, Middleware } from 'koa';
import type { AdminSessionService } from '../../shared/admin/admin-session-service.js';
import { sameSecret } from '../../shared/admin/admin-session-service.js';
import type { ApiTokenService } from '../../shared/admin/api-token-service.js';
import type { Principal } from '../../shared/domain/admin-principal.js';
import type { AdminSession } from '../../shared/domain/admin-session.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

export const SESSION_COOKIE = 'signservice_admin';
export const SESSION_HEADER = 'x-panel-session';
export const CSRF_HEADER = 'x-csrf-token';

/** What the auth middleware leaves in `ctx.state.admin`. */
export interface AdminRequestAuth {
  principal: Principal | undefined;
  via: 'token' | 'cookie' | 'header' | 'none';
  /** The session (active or in TOTP set-up) and the id it came with. */
  session: AdminSession | undefined;
  sessionId: string | undefined;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origins this service answers on: its public URL and the address the request reached. */
function ownOrigins(ctx: Context, publicBaseUrl: string): string[] {
  // Not ctx.origin: Koa 3 answers that from the Origin header itself.
  return [new URL(publicBaseUrl).origin, `${ctx.protocol}://${ctx.host}`];
}

/** Refuses a state change from another site. `required`: a missing Origin is refused too (browsers send it). */
export function checkOrigin(ctx: Context, publicBaseUrl: string, required: boolean): void {
  const origin = ctx.get('origin');
  if (!origin) {
    if (required) throw new AppError(ErrorCode.ADMIN_CSRF, 'The request carries no Origin; reload the page');
    return;
  }
  if (!ownOrigins(ctx, publicBaseUrl).includes(origin)) {
    throw new AppError(ErrorCode.ADMIN_CSRF, `Requests from ${origin} are not accepted`);
  }
}

function bearer(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}

/** Resolves the caller into `ctx.state.admin` and enforces CSRF + Origin on state changes. */
export function adminAuth(deps: {
  sessions: AdminSessionService;
  tokens: ApiTokenService;
  publicBaseUrl: string;
}): Middleware {
  return async function authenticateAdmin(ctx, next) {
    const auth: AdminRequestAuth = { principal: undefined, via: 'none', session: undefined, sessionId: undefined };
    const token = bearer(ctx);
    const headerId = ctx.get(SESSION_HEADER) || undefined;
    const cookieId = ctx.cookies.get(SESSION_COOKIE) || undefined;
    if (token) {
      auth.principal = await deps.tokens.authenticate(token);
      auth.via = 'token';
      if (!auth.principal) throw new AppError(ErrorCode.ADMIN_UNAUTHENTICATED, 'The API token is unknown or revoked');
    } else if (headerId || cookieId) {
      auth.via = headerId ? 'header' : 'cookie';
      auth.sessionId = headerId ?? cookieId;
      auth.session = await deps.sessions.resolve(auth.sessionId);
      if (auth.session?.stage === 'active') auth.principal = auth.session.principal;
    }
    if (!SAFE.has(ctx.method)) {
      if (auth.via === 'cookie' || auth.via === 'header') {
        checkOrigin(ctx, deps.publicBaseUrl, auth.via === 'cookie');
        if (auth.session && !sameSecret(ctx.get(CSRF_HEADER), auth.session.csrfToken)) {
          throw new AppError(ErrorCode.ADMIN_CSRF, 'The request lacks the page’s CSRF token; reload the page');
        }
      } else if (auth.via === 'none') {
        checkOrigin(ctx, deps.publicBaseUrl, false);
      }
    }
    ctx.state.admin = auth;
    await next();
  };
}

/** Sets (or, with `undefined`, clears) the session cookie. */
export function setSessionCookie(ctx: Context, id: string | undefined, secure: boolean, maxAgeSeconds: number): void {
  const parts = [
    `${SESSION_COOKIE}=${id ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${id ? maxAgeSeconds : 0}`,
  ];
  if (secure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}
