/**
 * One REST call with an access token that is not (yet) the portal's stored one: the token an install, an
 * update or a page POST brings, which has to be confirmed before anything is stored (confirm-install.ts,
 * confirm-portal-admin.ts). A JSON POST with the token in `auth` (reference §1.4), redirects not followed
 * (a portal that moved answers 302; the token must not follow it elsewhere), a time limit. The token never
 * reaches an error message.
 */
import { AppError, ErrorCode } from '../errors.js';

/** The HTTP status and the decoded JSON body (undefined when it was not JSON). */
export interface TokenCallAnswer {
  status: number;
  body: unknown;
}

export interface TokenCallOptions {
  /** @default 15000 */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * POSTs `{auth: accessToken}` to `url` (an already checked endpoint + method name).
 * @throws AppError B24_UNAVAILABLE when no answer came (`what` names the server in the message)
 */
export async function callWithToken(
  url: string,
  accessToken: string,
  what: string,
  options: TokenCallOptions = {},
): Promise<TokenCallAnswer> {
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ auth: accessToken }),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  } catch (error) {
    throw new AppError(ErrorCode.B24_UNAVAILABLE, `${what} cannot be reached: ${(error as Error).message}`);
  }
}

/** The `result` of a success answer, else undefined. */
export function resultOf(answer: TokenCallAnswer): unknown {
  const body = answer.body as { result?: unknown; error?: unknown } | undefined;
  return answer.status === 200 && body?.error === undefined ? body?.result : undefined;
}
