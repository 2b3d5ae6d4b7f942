/**
 * The one authorization decision for the admin API: given a route's declared authority and the proven
 * principal, allow (with the caller's portal confinement) or refuse. Handlers then confine what they read
 * and change to `caller.portal` (portal-scope.ts).
 */
import type { AdminSettings } from '../../shared/admin/admin-settings.js';
import { type Principal, portalScopeOf, signLogActorOf } from '../../shared/domain/admin-principal.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Authority, Caller } from './api-route.js';

const forbidden = (why: string) => new AppError(ErrorCode.ADMIN_FORBIDDEN, why);

function mayChangeShared(principal: Principal, settings: AdminSettings): boolean {
  switch (principal.kind) {
    case 'operator':
      return true;
    case 'token':
      return principal.scope === 'admin' && (!principal.memberId || settings.portalAdminsManageCertificates);
    case 'portal-admin':
      return settings.portalAdminsManageCertificates;
    case 'portal-user':
      return false;
  }
}

/**
 * @throws AppError ADMIN_UNAUTHENTICATED (nobody signed in), ADMIN_FORBIDDEN (not allowed).
 */
export function authorize(
  authority: Authority,
  principal: Principal | undefined,
  settings: AdminSettings,
): Caller | undefined {
  if (authority === 'public') return undefined;
  if (!principal) {
    throw new AppError(ErrorCode.ADMIN_UNAUTHENTICATED, 'Sign in first (or send an API token)');
  }
  const caller: Caller = {
    principal,
    portal: portalScopeOf(principal),
    actor: signLogActorOf(principal),
    mayChangeShared: mayChangeShared(principal, settings),
  };
  const { kind } = principal;
  const scope = kind === 'token' ? principal.scope : undefined;
  switch (authority) {
    case 'self':
      return caller;
    case 'read':
      if (kind === 'portal-user') throw forbidden('Only administrators may do this');
      return caller;
    case 'write':
      if (kind === 'portal-user') throw forbidden('Only administrators may do this');
      if (scope === 'read') throw forbidden('This API token is read-only');
      return caller;
    case 'shared-write':
      if (kind === 'portal-user') throw forbidden('Only administrators may do this');
      if (scope === 'read') throw forbidden('This API token is read-only');
      if (!caller.mayChangeShared) {
        throw forbidden('Certificates are shared by all portals; only the service operator may change them');
      }
      return caller;
    case 'operator':
      if (kind !== 'operator') throw forbidden('Only the service operator may do this');
      return caller;
  }
}
