/**
 * Records an install or update of the app on a portal (ONAPPINSTALL, ONAPPUPDATE, the install page) from its
 * already-validated `auth[…]` block: endpoints checked against the policy, tokens sealed, the
 * application_token hashed (reference §1.2, §7: store it per member_id; ONAPPUPDATE brings a new one).
 * The caller has proven first that a portal administrator acts (confirm-portal-admin.ts): nothing reaches
 * the store before that.
 */
import type { MasterKey } from '../crypto/master-key.js';
import type { Portal } from '../domain/portal.js';
import { AppError, ErrorCode } from '../errors.js';
import type { PortalRepository } from '../store/store-ports.js';
import { checkClientEndpoint, checkServerEndpoint, type EndpointPolicy } from './endpoint-policy.js';
import type { TTokenAuth } from './payloads.js';
import { openPortalTokens, sealPortalTokens } from './portal-tokens.js';
import { hashApplicationToken } from './verify-application-token.js';

export interface SavePortalInstallDeps {
  portals: PortalRepository;
  masterKey: MasterKey;
  policy: EndpointPolicy;
}

/** When the access token expires: `expires` (unix seconds) when sent, else now + `expires_in`. */
function expiryOf(auth: TTokenAuth, now: Date): Date {
  return auth.expires !== undefined ? new Date(auth.expires * 1000) : new Date(now.getTime() + auth.expires_in * 1000);
}

/** The stored form of a language code (`LANGUAGE_ID`, `LANG`): lower case letters, or undefined. */
export function portalLanguage(raw: string | undefined): string | undefined {
  const code = raw?.trim().toLowerCase();
  return code && /^[a-z]{2}([-_][a-z]{2})?$/.test(code) ? code : undefined;
}

/**
 * Stores the portal named by `auth.member_id`. An `auth` without refresh_token (ONAPPUPDATE) keeps the
 * stored refresh token; a `language` that is not given keeps the stored one.
 * @throws AppError B24_INVALID_PAYLOAD for unacceptable endpoints, or no refresh token at all.
 */
export async function savePortalInstall(
  deps: SavePortalInstallDeps,
  auth: TTokenAuth,
  now: Date,
  language?: string,
): Promise<Portal> {
  const clientEndpoint = checkClientEndpoint(auth.client_endpoint, auth.domain, deps.policy);
  const serverEndpoint = checkServerEndpoint(auth.server_endpoint, deps.policy);
  let refreshToken = auth.refresh_token;
  if (refreshToken === undefined) {
    const stored = await deps.portals.get(auth.member_id);
    if (stored?.status === 'installed' && stored.tokens) {
      refreshToken = openPortalTokens(deps.masterKey, auth.member_id, stored.tokens).refreshToken;
    }
  }
  if (refreshToken === undefined) {
    throw new AppError(
      ErrorCode.B24_INVALID_PAYLOAD,
      `portal ${auth.member_id}: no refresh_token was sent and none is stored; reinstall the app`,
    );
  }
  return deps.portals.upsert({
    memberId: auth.member_id,
    domain: auth.domain.toLowerCase(),
    clientEndpoint,
    serverEndpoint,
    scope: auth.scope,
    userId: auth.user_id,
    language: portalLanguage(language),
    tokens: sealPortalTokens(
      deps.masterKey,
      auth.member_id,
      { accessToken: auth.access_token, refreshToken },
      expiryOf(auth, now),
    ),
    applicationTokenHash: hashApplicationToken(auth.application_token),
    at: now,
  });
}
