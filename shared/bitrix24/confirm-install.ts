/**
 * Confirming an install or update with the OAuth server before trusting it (reference §7 step 5, what
 * b24pysdk does): the posted access token is sent to the allow-listed OAuth server's `app.info`, which
 * answers for which app, which portal (`install.member_id`, `install.domain`, `install.client_endpoint`)
 * and which user the token was issued. Needed where the application_token cannot prove anything: a first
 * install (nothing stored yet), a reinstall over a live record, `ONAPPUPDATE` (it brings a new
 * application_token) and the install page (which does not carry `client_endpoint` at all, §1.3).
 * Only the access token goes out; the client secret never does.
 */
import { AppError, ErrorCode } from '../errors.js';
import { checkClientEndpoint, checkServerEndpoint, type EndpointPolicy } from './endpoint-policy.js';

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

function refuse(reason: string): never {
  throw new AppError(
    ErrorCode.B24_FORBIDDEN,
    `The Bitrix24 OAuth server does not confirm this installation (${reason})`,
  );
}

/**
 * Asks `serverEndpoint`'s `app.info` about `accessToken`; the answer must name `memberId` and, when given,
 * our `clientId`.
 * @throws AppError B24_FORBIDDEN when it does not confirm, B24_INVALID_PAYLOAD for an unacceptable endpoint,
 *   B24_UNAVAILABLE when the server cannot be reached.
 */
export async function confirmInstall(options: {
  serverEndpoint: string;
  accessToken: string;
  memberId: string;
  clientId?: string;
  policy: EndpointPolicy;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): Promise<ConfirmedInstall> {
  const serverEndpoint = checkServerEndpoint(options.serverEndpoint, options.policy);
  let status: number;
  let body: unknown;
  try {
    const response = await (options.fetch ?? fetch)(`${serverEndpoint}app.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ auth: options.accessToken }),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    status = response.status;
    body = await response.json().catch(() => undefined);
  } catch (error) {
    throw new AppError(
      ErrorCode.B24_UNAVAILABLE,
      `The Bitrix24 OAuth server cannot be reached: ${(error as Error).message}`,
    );
  }
  const result = (body as { result?: Record<string, unknown> } | undefined)?.result;
  if (status !== 200 || !result) refuse(`app.info answered HTTP ${status}`);
  const install = (result.install ?? {}) as Record<string, unknown>;
  if (String(install.member_id ?? '') !== options.memberId) refuse('the token belongs to another portal');
  if (options.clientId && result.client_id !== undefined && String(result.client_id) !== options.clientId) {
    refuse('the token belongs to another app');
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
