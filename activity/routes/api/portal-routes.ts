/**
 * /api/v1/portals: the installed portals (a portal administrator sees theirs), their status and language,
 * "re-register" (idempotent: the robot, the activity, the Sign button and the events, with the tokens the
 * install stored), and the portal's users for picking an account's Bitrix24 user (`user.get` with a
 * name/e-mail search, reference §6.5).
 */
import { z } from 'zod';
import { registerApp } from '../../../shared/bitrix24/register-app.js';
import type { Portal } from '../../../shared/domain/portal.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, type Caller, defineRoute } from '../../admin/api-route.js';
import { inScope } from '../../admin/portal-scope.js';
import { actorOf } from './account-routes.js';

const ZPortalView = z.object({
  memberId: z.string(),
  domain: z.string(),
  status: z.enum(['installed', 'uninstalled']),
  scope: z.string(),
  installedAt: z.string(),
  updatedAt: z.string(),
  tokensValid: z.boolean().describe('The app holds tokens for the portal'),
});

const ZMember = z.object({ memberId: z.string().min(1).max(64) });

export function portalRoutes(deps: AdminApiDeps): ApiRoute[] {
  const view = (p: Portal) => ({
    memberId: p.memberId,
    domain: p.domain,
    status: p.status,
    scope: p.scope,
    installedAt: p.installedAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    tokensValid: p.tokens !== undefined,
  });
  const load = async (caller: Caller | undefined, memberId: string) => {
    const portal = inScope(caller, memberId) ? await deps.store.portals.get(memberId) : undefined;
    if (!portal) throw new AppError(ErrorCode.B24_FORBIDDEN, `SignService is not installed on portal ${memberId}`);
    return portal;
  };
  const b24 = () => {
    if (!deps.bitrix24)
      throw new AppError(ErrorCode.CONFIG_INVALID, 'The Bitrix24 app is not configured (B24_CLIENT_ID)');
    return deps.bitrix24;
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/portals',
      authority: 'read',
      tag: 'Portals',
      summary: 'Portals that installed the app',
      response: z.object({ portals: z.array(ZPortalView) }),
      async handler({ caller }) {
        const portals = await deps.store.portals.list();
        return { portals: portals.filter((p) => inScope(caller, p.memberId)).map(view) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/portals/:memberId/re-register',
      authority: 'write',
      tag: 'Portals',
      summary: 'Register the robot, the activity, the Sign button and the app events again (idempotent)',
      params: ZMember,
      response: z.object({
        robot: z.string(),
        activity: z.string(),
        placement: z.string(),
        events: z.record(z.string(), z.string()),
      }),
      async handler({ params, caller }) {
        const portal = await load(caller, params.memberId);
        const { app, urls } = b24();
        const report = await registerApp(app.client, portal.memberId, { urls, authUserId: portal.userId });
        await deps.store.signLog.append({
          time: deps.now(),
          action: 'portal_reregistered',
          actor: actorOf(caller),
          outcome: 'ok',
          details: { memberId: portal.memberId, domain: portal.domain },
        });
        return report;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/portals/:memberId/users',
      authority: 'read',
      tag: 'Portals',
      summary: 'The portal’s users matching a name or e-mail (to link an account)',
      params: ZMember,
      query: z.object({ search: z.string().trim().max(100).default('') }),
      response: z.object({
        users: z.array(z.object({ id: z.number(), name: z.string(), email: z.string().nullable() })),
      }),
      async handler({ params, query, caller }) {
        const portal = await load(caller, params.memberId);
        const filter = query.search ? { '%NAME': query.search } : {};
        const answer = await b24().app.client.call<Record<string, unknown>[]>(portal.memberId, 'user.get', {
          FILTER: { ACTIVE: true, ...filter },
        });
        let rows = answer.result ?? [];
        if (query.search && rows.length === 0) {
          const byEmail = await b24().app.client.call<Record<string, unknown>[]>(portal.memberId, 'user.get', {
            FILTER: { ACTIVE: true, '%EMAIL': query.search },
          });
          rows = byEmail.result ?? [];
        }
        return {
          users: rows.map((u) => ({
            id: Number(u.ID),
            name: [u.NAME, u.LAST_NAME].filter((x) => typeof x === 'string' && x).join(' ') || `#${String(u.ID)}`,
            email: typeof u.EMAIL === 'string' && u.EMAIL ? u.EMAIL : null,
          })),
        };
      },
    }),
  ];
}
