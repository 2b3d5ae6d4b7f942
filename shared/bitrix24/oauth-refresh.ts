/**
 * One OAuth refresh against the portal's OAuth server (reference §1.5): `grant_type=refresh_token` with the
 * app's client id and secret and the stored refresh token, sent as a form POST to
 * `<server_endpoint minus rest/>oauth/token/` (the documented GET takes the same parameters; the POST keeps
 * the secret out of URLs and access logs, as b24jssdk does). Every refresh returns a NEW refresh token and
 * the old one stops working, so the caller must persist the answer (and serialise refreshes).
 */
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.js';
import { oauthTokenUrl } from './endpoint-policy.js';

/** Fresh tokens from the OAuth server. */
export interface TokenGrant {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  clientEndpoint: string | undefined;
  serverEndpoint: string | undefined;
  scope: string | undefined;
}

export interface RefreshRequest {
  serverEndpoint: string;
  memberId: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** @default 15000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const seconds = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
]);
const ZTokenAnswer = z.object({
  access_token: z.string().min(1).max(512),
  refresh_token: z.string().min(1).max(512),
  expires_in: seconds.optional(),
  expires: seconds.optional(),
  member_id: z.string().optional(),
  client_endpoint: z.string().optional(),
  server_endpoint: z.string().optional(),
  scope: z.string().optional(),
});

function unavailable(memberId: string, reason: string): AppError {
  return new AppError(
    ErrorCode.B24_UNAVAILABLE,
    `Bitrix24 OAuth server: cannot refresh the tokens of portal ${memberId} (${reason})`,
    {
      details: { memberId },
    },
  );
}

/**
 * Exchanges the refresh token for a new pair.
 * @throws AppError B24_AUTH_FAILED when the server refuses (`invalid_grant`, `invalid_client`, …: reinstall
 *   needed), B24_UNAVAILABLE when it cannot be reached or answers 5xx / nonsense.
 */
export async function requestTokenRefresh(request: RefreshRequest): Promise<TokenGrant> {
  const doFetch = request.fetch ?? fetch;
  const now = request.now ?? Date.now;
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: request.clientId,
    client_secret: request.clientSecret,
    refresh_token: request.refreshToken,
  });
  let status: number;
  let answer: unknown;
  try {
    const response = await doFetch(oauthTokenUrl(request.serverEndpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': 'SignService/1.0',
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(request.timeoutMs ?? 15_000),
    });
    status = response.status;
    answer = await response.json().catch(() => undefined);
  } catch (e) {
    const code = (e as { cause?: { code?: string }; name?: string }).cause?.code ?? (e as { name?: string }).name;
    throw unavailable(request.memberId, `no answer: ${code ?? 'connection failed'}`);
  }
  const error = (answer as { error?: unknown } | undefined)?.error;
  if (error !== undefined || (status >= 400 && status < 500)) {
    const code = error === undefined ? `HTTP ${status}` : String(error).slice(0, 60);
    throw new AppError(
      ErrorCode.B24_AUTH_FAILED,
      `Bitrix24 OAuth server refused to refresh the tokens of portal ${request.memberId} (${code}); an administrator has to reinstall or reopen the app`,
      { details: { memberId: request.memberId, b24Error: code } },
    );
  }
  const parsed = ZTokenAnswer.safeParse(answer);
  if (status !== 200 || !parsed.success) throw unavailable(request.memberId, `unexpected answer, HTTP ${status}`);
  const t = parsed.data;
  if (t.member_id !== undefined && t.member_id !== request.memberId) {
    throw new AppError(
      ErrorCode.B24_AUTH_FAILED,
      `Bitrix24 OAuth server answered for another portal than ${request.memberId}`,
    );
  }
  const expiresAt = t.expires !== undefined ? t.expires * 1000 : now() + (t.expires_in ?? 3600) * 1000;
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: new Date(expiresAt),
    clientEndpoint: t.client_endpoint,
    serverEndpoint: t.server_endpoint,
    scope: t.scope,
  };
}
