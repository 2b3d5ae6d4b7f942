/**
 * Who opened the app's main page in Bitrix24, proven on the server with the posted AUTH_ID (the token of the
 * user who clicked, reference §1.3, §5.3) — never a flag from the browser (the frame's IS_ADMIN is the
 * browser's word):
 * - administrator or not: the one shared check, `confirmPortalAdmin` (shared/bitrix24/confirm-portal-admin.ts,
 *   the proof that also binds a portal): the OAuth server's `app.info` at the portal's STORED server endpoint
 *   confirms the token was issued for our app and this portal, then the portal's `profile` (`ADMIN`, the
 *   value `user.admin` gives) with the same token; its refusal `not_admin` means an ordinary user;
 * - the person: `user.current` with the same token at the stored client endpoint (name and e-mail), which
 *   must be the user the admin check named.
 * The token is used for these requests only.
 */
import { batchEntries, batchParams, readBatchResult } from '../../shared/bitrix24/batch.js';
import { refusalReason } from '../../shared/bitrix24/binding-refusal.js';
import { confirmPortalAdmin } from '../../shared/bitrix24/confirm-portal-admin.js';
import type { EndpointPolicy } from '../../shared/bitrix24/endpoint-policy.js';
import { postMethod } from '../../shared/bitrix24/rest-exchange.js';
import { failureToError } from '../../shared/bitrix24/rest-failure.js';
import type { Portal } from '../../shared/domain/portal.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface PageIdentity {
  userId: number;
  name: string;
  email?: string;
  /** The user's TIME_ZONE (IANA), when they chose one. */
  timeZone?: string;
  admin: boolean;
}

export interface PageIdentityOptions {
  /** Our app (B24_CLIENT_ID) and the endpoint allow-lists (B24_ALLOW_LOOPBACK, B24_OAUTH_HOSTS). */
  app: { clientId: string; policy: EndpointPolicy };
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

const notConfirmed = (cause: unknown) =>
  new AppError(ErrorCode.B24_FORBIDDEN, 'Bitrix24 did not confirm who opened this page; open the app again', {
    cause,
  });

/** `user.current` with the page's token: the user's id, name, e-mail and time zone. */
async function currentUser(portal: Portal, authId: string, options: PageIdentityOptions) {
  const entries = batchEntries({ me: { method: 'user.current' } });
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
    const timeZone = text(me.TIME_ZONE);
    return { userId, name, ...(email ? { email } : {}), ...(timeZone ? { timeZone } : {}) };
  } catch (error) {
    if (
      error instanceof AppError &&
      (error.code === ErrorCode.B24_AUTH_FAILED || error.code === ErrorCode.B24_ACCESS_DENIED)
    ) {
      throw notConfirmed(error);
    }
    throw error;
  }
}

/** Whether the token's user administers the portal, and which user the check names. */
async function adminCheck(
  portal: Portal,
  authId: string,
  options: PageIdentityOptions,
): Promise<{ admin: boolean; userId: number | undefined }> {
  try {
    const confirmed = await confirmPortalAdmin({
      serverEndpoint: portal.serverEndpoint,
      accessToken: authId,
      memberId: portal.memberId,
      clientId: options.app.clientId,
      policy: options.app.policy,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    return { admin: true, userId: confirmed.userId };
  } catch (error) {
    if (refusalReason(error) !== 'not_admin') throw error;
    const userId = (error as AppError).details?.userId;
    return { admin: false, userId: typeof userId === 'number' ? userId : undefined };
  }
}

/**
 * @throws AppError B24_FORBIDDEN when the portal or the OAuth server does not confirm the token (or the two
 *   checks name different users); the client's errors otherwise.
 */
export async function readPageIdentity(
  portal: Portal,
  authId: string,
  options: PageIdentityOptions,
): Promise<PageIdentity> {
  const [who, check] = await Promise.all([currentUser(portal, authId, options), adminCheck(portal, authId, options)]);
  if (check.userId !== undefined && check.userId !== who.userId) {
    throw notConfirmed(new Error(`user.current names user ${who.userId}, the admin check user ${check.userId}`));
  }
  return { ...who, admin: check.admin };
}
