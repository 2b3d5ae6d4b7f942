/**
 * What a Bitrix24 page learns with its own `AUTH_ID` (the token of the user who clicked, reference §5.3):
 * who that user is (`user.current` — never a user id sent by the browser) and the deal as that user may see
 * it (`crm.item.get`, so a user who crafts a POST for a deal they cannot open gets nothing), in one `batch`
 * request against the `client_endpoint` stored at install. The token is used for this request only.
 */
import { batchEntries, batchParams, readBatchResult } from '../../shared/bitrix24/batch.js';
import { postMethod } from '../../shared/bitrix24/rest-exchange.js';
import { failureToError } from '../../shared/bitrix24/rest-failure.js';
import type { Portal } from '../../shared/domain/portal.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** The Bitrix24 user behind a page's AUTH_ID. */
export interface PageUser {
  id: number;
  name: string;
  /** Present with the `user_basic` / `user` scope (reference §6.5). */
  email?: string;
  /** The user's IANA time zone (`TIME_ZONE`; Bitrix24 sends '' when the user never chose one). */
  timeZone?: string;
}

/** The user and the deal item (`useOriginalUfNames: 'Y'`) as that user reads it. */
export interface PageUserView {
  user: PageUser;
  deal: Record<string, unknown>;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

function asUser(raw: unknown): PageUser {
  const user = (raw ?? {}) as Record<string, unknown>;
  const id = Number(text(user.ID));
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new AppError(ErrorCode.B24_INVALID_PAYLOAD, 'Bitrix24 answered user.current without a user id');
  }
  const name = [text(user.NAME), text(user.LAST_NAME)].filter(Boolean).join(' ') || `#${id}`;
  const email = text(user.EMAIL);
  const timeZone = text(user.TIME_ZONE);
  return { id, name, ...(email ? { email } : {}), ...(timeZone ? { timeZone } : {}) };
}

/**
 * Reads the user and the deal with the page's token.
 * @throws AppError B24_FORBIDDEN when the portal refuses the token or the user may not read the deal;
 *   B24_UNAVAILABLE / B24_RATE_LIMITED / B24_METHOD_FAILED as the client classifies other failures.
 */
export async function readAsPageUser(
  portal: Portal,
  authId: string,
  dealId: number,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<PageUserView> {
  const entries = batchEntries({
    me: { method: 'user.current' },
    deal: { method: 'crm.item.get', params: { entityTypeId: 2, id: dealId, useOriginalUfNames: 'Y' } },
  });
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
    const deal = (results.deal as { item?: unknown } | undefined)?.item;
    if (!deal || typeof deal !== 'object') {
      throw new AppError(ErrorCode.B24_METHOD_FAILED, `Bitrix24 did not return deal ${dealId}`);
    }
    return { user: asUser(results.me), deal: deal as Record<string, unknown> };
  } catch (error) {
    if (
      error instanceof AppError &&
      (error.code === ErrorCode.B24_AUTH_FAILED || error.code === ErrorCode.B24_ACCESS_DENIED)
    ) {
      throw new AppError(
        ErrorCode.B24_FORBIDDEN,
        'Bitrix24 did not confirm who opened this page or that they may open this deal; open the dialog again from the deal',
        { cause: error },
      );
    }
    throw error;
  }
}
