/**
 * Confirming a posted access token with the OAuth server before trusting it (reference §7 step 5, what
 * b24pysdk does): the token goes to the allow-listed OAuth server's `app.info`, which answers for which app,
 * which portal (`install.member_id`, `install.domain`, `install.client_endpoint`) and which user the token
 * was issued. The first half of the proof that a portal administrator binds the portal
 * (confirm-portal-admin.ts): an install, a reinstall over a live record, `ONAPPUPDATE` (it brings a new
 * application_token) and the install page (which does not carry `client_endpoint` at all, §1.3). Only the
 * access token goes out; the client secret never does.
 */
import { refusal } from './binding-refusal.js';
import { checkClientEndpoint, checkServerEndpoint, type EndpointPolicy } from './endpoint-policy.js';
import { callWithToken, resultOf, type TokenCallOptions } from './token-call.js';

/** What the OAuth server vouches for. */
export interface ConfirmedInstall {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string;
  userId: number | undefined;
  /** False while a UI app waits for `installFinish` (reference §1.1). */
  installed: boolean;
}

export interface ConfirmTokenOptions extends TokenCallOptions {
  serverEndpoint: string;
  accessToken: string;
  memberId: string;
  clientId?: string;
  policy: EndpointPolicy;
}

/**
 * Asks `serverEndpoint`'s `app.info` about `accessToken`; the answer must name `memberId` and, when given,
 * our `clientId`. The endpoint is checked before anything is sent (B24_ALLOW_LOOPBACK, B24_OAUTH_HOSTS).
 * @throws AppError B24_FORBIDDEN (binding-refusal.ts reasons) when it does not confirm, B24_INVALID_PAYLOAD for
 *   an unacceptable endpoint, B24_UNAVAILABLE when the server cannot be reached.
 */
export async function confirmInstall(options: ConfirmTokenOptions): Promise<ConfirmedInstall> {
  const serverEndpoint = checkServerEndpoint(options.serverEndpoint, options.policy);
  const answer = await callWithToken(
    `${serverEndpoint}app.info`,
    options.accessToken,
    'The Bitrix24 OAuth server',
    options,
  );
  const result = resultOf(answer) as Record<string, unknown> | undefined;
  const denied = (reason: Parameters<typeof refusal>[0], why: string) =>
    refusal(reason, `The Bitrix24 OAuth server does not confirm this installation (${why})`, {
      memberId: options.memberId,
    });
  if (!result || typeof result !== 'object')
    throw denied('token_not_confirmed', `app.info answered HTTP ${answer.status}`);
  const install = (result.install ?? {}) as Record<string, unknown>;
  if (String(install.member_id ?? '') !== options.memberId)
    throw denied('other_portal', 'the token belongs to another portal');
  if (options.clientId && result.client_id !== undefined && String(result.client_id) !== options.clientId) {
    throw denied('other_app', 'the token belongs to another app');
  }
  const domain = String(install.domain ?? '').toLowerCase();
  const userId = Number(result.user_id);
  return {
    memberId: options.memberId,
    domain,
    clientEndpoint: checkClientEndpoint(String(install.client_endpoint ?? ''), domain, options.policy),
    serverEndpoint,
    userId: Number.isInteger(userId) && userId > 0 ? userId : undefined,
    installed: install.installed !== false,
  };
}
