/**
 * The `auth[...]` block of server-to-server POSTs (install/update/uninstall events, robot calls)
 * [bitrix24.md §1.2, §3, §7]. With a user token: access_token, expires, expires_in, scope, domain,
 * server_endpoint, status, client_endpoint, member_id, user_id, application_token, plus refresh_token where
 * it is sent (ONAPPINSTALL, robot calls of the current core). Without (ONAPPUNINSTALL): only domain,
 * server_endpoint, client_endpoint, member_id, application_token.
 */
import { clientEndpoint, type EmulatorCore, serverEndpoint } from './emulator-core.js';
import type { AccessGrant } from './oauth-tokens.js';
import type { PortalState } from './portal-state.js';

/** Builds `auth`; `grant` undefined gives the token-less block. */
export function authBlock(
  core: EmulatorCore,
  portal: PortalState,
  grant: AccessGrant | undefined,
  options: { refreshToken: boolean },
): Record<string, string> {
  if (grant === undefined) {
    return {
      domain: portal.domain,
      server_endpoint: serverEndpoint(core),
      client_endpoint: clientEndpoint(core, portal),
      member_id: portal.memberId,
      application_token: portal.applicationToken,
    };
  }
  const block: Record<string, string> = {
    access_token: grant.accessToken,
    expires: String(Math.floor(grant.expiresAtMs / 1000)),
    expires_in: String(Math.round((grant.expiresAtMs - core.now()) / 1000)),
    scope: grant.scope.join(','),
    domain: portal.domain,
    server_endpoint: serverEndpoint(core),
    status: portal.identity.status,
    client_endpoint: clientEndpoint(core, portal),
    member_id: portal.memberId,
    user_id: String(grant.userId),
  };
  if (options.refreshToken) block.refresh_token = grant.refreshToken;
  block.application_token = portal.applicationToken;
  return block;
}

/** Unix seconds as the string PHP forms carry. */
export function unixSeconds(core: EmulatorCore): string {
  return String(Math.floor(core.now() / 1000));
}
