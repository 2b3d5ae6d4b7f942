/**
 * Service-wide administration: API tokens for scripts (listed without their text; created — shown once —
 * and revoked by an operator) and the settings (portal administrators may change certificates; signers may
 * e-mail themselves a new enrollment link).
 */
import { z } from 'zod';
import { readAdminSettings, writeAdminSettings, ZAdminSettings } from '../../../shared/admin/admin-settings.js';
import type { ApiToken } from '../../../shared/domain/api-token.js';
import type { AdminApiDeps } from '../../admin/admin-api-deps.js';
import { type ApiRoute, defineRoute } from '../../admin/api-route.js';
import { actorOf } from './account-routes.js';
import { principalName } from './session-routes.js';

const ZTokenView = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(['read', 'admin']),
  portal: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

const view = (t: ApiToken) => ({
  id: t.id,
  name: t.name,
  scope: t.scope,
  portal: t.memberId ?? null,
  createdAt: t.createdAt.toISOString(),
  createdBy: t.createdBy,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
});

export function serviceRoutes(deps: AdminApiDeps): ApiRoute[] {
  const log = (
    action: 'api_token_created' | 'api_token_revoked' | 'settings_changed',
    actor: ReturnType<typeof actorOf>,
    details: Record<string, string | boolean>,
  ) => deps.store.signLog.append({ time: deps.now(), action, actor, outcome: 'ok', details });
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/api-tokens',
      authority: 'operator',
      tag: 'API tokens',
      summary: 'API tokens (never their text)',
      response: z.object({ tokens: z.array(ZTokenView) }),
      handler: async () => ({ tokens: (await deps.tokens.list()).map(view) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/api-tokens',
      authority: 'operator',
      tag: 'API tokens',
      summary: 'Create an API token; its text is in this answer only',
      body: z.object({
        name: z.string().min(1).max(64),
        scope: z.enum(['read', 'admin']),
        memberId: z.string().min(1).max(64).optional().describe('Confine the token to one portal'),
      }),
      status: 201,
      response: ZTokenView.extend({ token: z.string().describe('Shown once; store it in the script’s secrets') }),
      async handler({ body, caller }) {
        const created = await deps.tokens.create({
          name: body.name,
          scope: body.scope,
          ...(body.memberId ? { memberId: body.memberId } : {}),
          createdBy: caller ? principalName(caller.principal) : 'unknown',
        });
        await log('api_token_created', actorOf(caller), { name: body.name, scope: body.scope });
        return { ...view(created.record), token: created.token };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/v1/api-tokens/:id',
      authority: 'operator',
      tag: 'API tokens',
      summary: 'Revoke an API token (by id or name)',
      params: z.object({ id: z.string().min(1).max(100) }),
      response: z.object({ revoked: z.literal(true) }),
      async handler({ params, caller }) {
        await deps.tokens.revoke(params.id);
        await log('api_token_revoked', actorOf(caller), { token: params.id });
        return { revoked: true as const };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/settings',
      authority: 'read',
      tag: 'Settings',
      summary: 'Service-wide settings',
      response: ZAdminSettings,
      handler: () => readAdminSettings(deps.store),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/v1/settings',
      authority: 'operator',
      tag: 'Settings',
      summary: 'Change service-wide settings',
      body: ZAdminSettings.partial(),
      response: ZAdminSettings,
      async handler({ body, caller }) {
        const next = await writeAdminSettings(deps.store, body);
        await log(
          'settings_changed',
          actorOf(caller),
          Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Boolean(v)])),
        );
        return next;
      },
    }),
  ];
}
