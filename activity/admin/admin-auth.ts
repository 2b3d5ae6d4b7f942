/**
 * Who is calling the admin API and the panel, proven on the server, and the CSRF defence of every state
 * change — the app's one CSRF guard (middleware/csrf-guard.ts: Origin = PUBLIC_BASE_URL, and a token bound
 * to the panel session, HMAC under a key derived from the master key). Three ways in:
 * - `Authorization: Bearer <API token>` (scripts): no cookie is involved, so no CSRF is possible;
 * - the `signservice_admin` cookie (the standalone panel): HttpOnly, SameSite=Strict, Secure over HTTPS;
 * - the `X-Panel-Session` header (the panel inside Bitrix24, a third-party frame where browsers block
 *   cookies): the page's script holds the session id and sends it.
 * A state change with a live session needs both checks; one without (the sign-in) needs the Origin.
 * A session still in TOTP set-up is not signed in; it only lets the set-up be confirmed.
 */
import type { Context, Middleware } from 'koa';
import type { AdminSessionService } from '../../shared/admin/admin-session-service.js';
import type { ApiTokenService } from '../../shared/admin/api-token-service.js';
import type { Principal } from '../../shared/domain/admin-principal.js';
import type { AdminSession } from '../../shared/domain/admin-session.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { type CsrfTokens, checkCsrf, checkRequestOrigin } from '../middleware/csrf-guard.js';

export const SESSION_COOKIE = 'signservice_admin';
export const SESSION_HEADER = 'x-panel-session';

/** What a panel session's CSRF token is bound to: the session id, which only the page and the server hold. */
export const adminCsrfBinding = (sessionId: string) => `admin-session:${sessionId}`;

/** What the auth middleware leaves in `ctx.state.admin`. */
export interface AdminRequestAuth {
  principal: Principal | undefined;
  via: 'token' | 'cookie' | 'header' | 'none';
  /** The session (active or in TOTP set-up) and the id it came with. */
  session: AdminSession | undefined;
  sessionId: string | undefined;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(ctx: Context): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
  return match?.[1];
}

/** Resolves the caller into `ctx.state.admin` and enforces CSRF + Origin on state changes. */
export function adminAuth(deps: {
  sessions: AdminSessionService;
  tokens: ApiTokenService;
  publicBaseUrl: string;
  csrf: CsrfTokens;
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
    if (!SAFE.has(ctx.method) && auth.via !== 'token') {
      const { sessionId } = auth;
      if (auth.session && sessionId) {
        await checkCsrf(ctx, {
          tokens: deps.csrf,
          origin: deps.publicBaseUrl,
          binding: () => adminCsrfBinding(sessionId),
        });
      } else {
        // No live session (signing in, or a stale cookie): nothing to bind a token to; the route itself
        // refuses anything but the sign-in.
        checkRequestOrigin(ctx, deps.publicBaseUrl);
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
