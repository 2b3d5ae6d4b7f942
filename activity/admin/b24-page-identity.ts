/**
 * Who opened the app's main page in Bitrix24, proven on the server with the posted AUTH_ID (the token of the
 * user who clicked, reference §1.3, §5.3): `user.current` for the user and `user.admin` for "may manage
 * applications" — never a flag from the browser (the frame's IS_ADMIN is the browser's word). One `batch`
 * request against the client_endpoint stored at install; the token is used for this request only.
 */
import { batchEntries, batchParams, readBatchResult } from '../../shared/bitrix24/batch.js';
import { postMethod } from '../../shared/bitrix24/rest-exchange.js';
import { failureToError } from '../../shared/bitrix24/rest-failure.js';
import type { Portal } from '../../shared/domain/portal.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface PageIdentity {
  userId: number;
  name: string;
  email?: string;
  admin: boolean;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/**
 * @throws AppError B24_FORBIDDEN when the portal does not confirm the token; the client's errors otherwise.
 */
export async function readPageIdentity(
  portal: Portal,
  authId: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<PageIdentity> {
  const entries = batchEntries({ me: { method: 'user.current' }, admin: { method: 'user.admin' } });
  const session = { memberId: portal.memberId, version: portal.version, clientEndpoint: portal.clientEndpoint };
  const outcome = await postMethod(
    options.fetch ?? fetch,
    { ...session, accessToken: authId },
    'batch',
    batchParams(entries, true),
    options.timeoutMs ?? 15_000,
  );
  try {
    if (!outcome.ok)
      throw failureToError(outcome.failure, { memberId: portal.memberId, method: 'batch', idempotent: true });
    const { results } = readBatchResult(outcome.value.result, entries, {
      memberId: portal.memberId,
      allowErrors: false,
    });
    const me = (results.me ?? {}) as Record<string, unknown>;
    const userId = Number(text(me.ID));
    if (!Number.isSafeInteger(userId) || userId <= 0) {
      throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, 'Bitrix24 answered user.current without a user id');
    }
    const name = [text(me.NAME), text(me.LAST_NAME)].filter(Boolean).join(' ') || `#${userId}`;
    const email = text(me.EMAIL);
    return { userId, name, ...(email ? { email } : {}), admin: results.admin === true };
  } catch (error) {
    if (
      error instanceof AppError &&
      (error.code === ErrorCode.B24_AUTH_FAILED || error.code === ErrorCode.B24_ACCESS_DENIED)
    ) {
      throw new AppError(ErrorCode.B24_FORBIDDEN, 'Bitrix24 did not confirm who opened this page; open the app again', {
        cause: error,
      });
    }
    throw error;
  }
}
