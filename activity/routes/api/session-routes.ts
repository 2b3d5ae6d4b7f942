/**
 * /api/v1/session: the standalone panel's sign-in (login + password + one-time code; on the first sign-in
 * the TOTP set-up — QR code and key — and a first code to confirm it), who is signed in (with the CSRF
 * token the page sends back), and sign-out, which deletes the session from the store. Each sign-in step
 * opens a session under a new id, so an id planted beforehand never becomes signed in (fixation).
 */
import { z } from 'zod';
import { SESSION_ABSOLUTE_HOURS } from '../../../shared/admin/admin-session-service.js';
import type { Principal } from '../../../shared/domain/admin-principal.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { personTimeZone } from '../../../shared/i18n/date-time.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type AdminRequestAuth, setSessionCookie } from '../../admin/admin-auth.js';
import { type ApiRoute, defineRoute } from '../../admin/api-route.js';

export const ZPrincipalView = z.object({
  kind: z.enum(['operator', 'token', 'portal-admin', 'portal-user']),
  name: z.string(),
  portal: z.string().nullable(),
  portalDomain: z.string().nullable(),
  timeZone: z
    .string()
    .describe(
      "IANA time zone the panel shows times in: a portal user's Bitrix24 zone, else their account's, else the service's",
    ),
});

const ZSessionAnswer = z.object({
  stage: z.enum(['signed-out', 'totp-setup', 'active']),
  principal: ZPrincipalView.nullable(),
  csrfToken: z.string().nullable(),
  setup: z.object({ qrDataUrl: z.string(), manualSecret: z.string(), otpUri: z.string() }).nullable(),
  mayChangeShared: z.boolean().nullable(),
});

export function principalName(p: Principal): string {
  return p.kind === 'operator' ? p.login : p.name;
}

export function sessionRoutes(deps: AdminApiDeps): ApiRoute[] {
  const principalView = async (p: Principal) => {
    const portal = p.kind === 'operator' ? undefined : p.memberId;
    const domain = portal ? ((await deps.store.portals.get(portal))?.domain ?? null) : null;
    const bitrix = p.kind === 'portal-user' || p.kind === 'portal-admin' ? p : undefined;
    const account = bitrix ? await deps.store.accounts.findByBitrixUser(bitrix.memberId, bitrix.userId) : undefined;
    const timeZone = personTimeZone({ bitrix: bitrix?.timeZone, account: account?.timeZone });
    return { kind: p.kind, name: principalName(p), portal: portal ?? null, portalDomain: domain, timeZone };
  };
  const maxAge = SESSION_ABSOLUTE_HOURS * 3600;

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/session',
      authority: 'public',
      tag: 'Session',
      summary: 'Who is signed in, and the CSRF token of the session',
      response: ZSessionAnswer,
      async handler({ ctx }) {
        const auth = ctx.state.admin as AdminRequestAuth;
        if (!auth.principal || !auth.session) {
          return { stage: 'signed-out' as const, principal: null, csrfToken: null, setup: null, mayChangeShared: null };
        }
        return {
          stage: 'active' as const,
          principal: await principalView(auth.principal),
          csrfToken: deps.csrfTokenFor(auth.sessionId ?? ''),
          setup: null,
          mayChangeShared: null,
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/session',
      authority: 'public',
      tag: 'Session',
      summary: 'Sign in with login, password and one-time code (first time: returns the TOTP set-up)',
      body: z.object({
        login: z.string().min(1).max(64),
        password: z.string().min(1).max(1024),
        code: z.string().max(10).default(''),
      }),
      response: ZSessionAnswer,
      async handler({ body, ctx }) {
        const auth = ctx.state.admin as AdminRequestAuth;
        await deps.sessions.end(auth.sessionId);
        const result = await deps.operators.signIn(body);
        const principal: Principal = { kind: 'operator', login: result.login };
        const opened = await deps.sessions.open(principal, result.stage);
        setSessionCookie(ctx, opened.id, deps.secureCookies, maxAge);
        return {
          stage: result.stage,
          principal: result.stage === 'active' ? await principalView(principal) : null,
          csrfToken: deps.csrfTokenFor(opened.id),
          setup: result.stage === 'totp-setup' ? result.setup : null,
          mayChangeShared: result.stage === 'active' ? true : null,
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/session/totp',
      authority: 'public',
      tag: 'Session',
      summary: 'Confirm the TOTP set-up of the first sign-in with a first code',
      body: z.object({ code: z.string().min(1).max(10) }),
      response: ZSessionAnswer,
      async handler({ body, ctx }) {
        const auth = ctx.state.admin as AdminRequestAuth;
        const session = auth.session;
        if (session?.stage !== 'totp-setup' || session.principal.kind !== 'operator') {
          throw new AppError(ErrorCode.ADMIN_UNAUTHENTICATED, 'Sign in with login and password first');
        }
        await deps.operators.confirmTotp({ login: session.principal.login, code: body.code });
        await deps.sessions.end(auth.sessionId);
        const opened = await deps.sessions.open(session.principal, 'active');
        setSessionCookie(ctx, opened.id, deps.secureCookies, maxAge);
        return {
          stage: 'active' as const,
          principal: await principalView(session.principal),
          csrfToken: deps.csrfTokenFor(opened.id),
          setup: null,
          mayChangeShared: true,
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/session',
      authority: 'self',
      tag: 'Session',
      summary: 'Sign out: the session ends in the store, for every instance',
      response: z.object({ signedOut: z.literal(true) }),
      async handler({ ctx }) {
        const auth = ctx.state.admin as AdminRequestAuth;
        await deps.sessions.end(auth.sessionId);
        if (auth.via === 'cookie') setSessionCookie(ctx, undefined, deps.secureCookies, 0);
        return { signedOut: true as const };
      },
    }),
  ];
}
