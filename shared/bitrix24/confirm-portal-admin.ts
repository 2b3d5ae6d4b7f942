/**
 * "Is this access token a portal administrator of member X?" — the proof that binds a portal (an install, a
 * reinstall, an update, the install page), and the check the in-Bitrix24 admin panel reuses for its pages:
 *
 * 1. the OAuth server's `app.info` confirms the token: issued for our app, for portal X, to user U
 *    (confirm-install.ts; the endpoint allow-lists apply before anything is sent);
 * 2. `profile`, called with that same token on the portal's REST endpoint *as the OAuth server named it*
 *    (never the posted one), answers `ID` = U and `ADMIN: true` ("permissions to manage application
 *    settings", reference §5.3 `user.admin` / `profile.ADMIN`).
 *
 * A token any portal user holds — every Sign-dialog frame POST carries the opener's AUTH_ID — passes step 1
 * and fails step 2 unless its user is an administrator. For a portal that is bound already, pass the stored
 * `server_endpoint` rather than a posted one.
 */
import { type RefusalReason, refusal } from './binding-refusal.js';
import { type ConfirmedInstall, type ConfirmTokenOptions, confirmInstall } from './confirm-install.js';
import { callWithToken, resultOf } from './token-call.js';

/** A confirmed administrator of a portal, and what the OAuth server said about the installation. */
export interface ConfirmedAdmin extends ConfirmedInstall {
  /** The administrator's Bitrix24 user id (from the portal, equal to the OAuth server's when it names one). */
  userId: number;
}

/**
 * Confirms that `accessToken` belongs to an administrator of portal `memberId` using our app.
 * @throws AppError B24_FORBIDDEN with `details.reason` (binding-refusal.ts) and `details.userId` when known,
 *   B24_INVALID_PAYLOAD (an endpoint the policy refuses), B24_UNAVAILABLE (a server cannot be reached).
 */
export async function confirmPortalAdmin(options: ConfirmTokenOptions): Promise<ConfirmedAdmin> {
  const confirmed = await confirmInstall(options);
  const answer = await callWithToken(
    `${confirmed.clientEndpoint}profile`,
    options.accessToken,
    `Bitrix24 portal ${confirmed.domain}`,
    options,
  );
  const profile = resultOf(answer) as { ID?: unknown; ADMIN?: unknown } | undefined;
  const denied = (reason: RefusalReason, why: string, userId?: number) =>
    refusal(reason, `Only an administrator of the Bitrix24 portal can install or update SignService (${why})`, {
      memberId: options.memberId,
      ...(userId ? { userId } : {}),
    });
  const userId = Number(profile?.ID);
  if (!profile || !Number.isSafeInteger(userId) || userId <= 0) {
    throw denied('token_not_confirmed', `the portal did not answer profile: HTTP ${answer.status}`, confirmed.userId);
  }
  if (confirmed.userId !== undefined && confirmed.userId !== userId) {
    throw denied('user_mismatch', 'the portal and the OAuth server name different users', confirmed.userId);
  }
  if (profile.ADMIN !== true) throw denied('not_admin', `user ${userId} is not a portal administrator`, userId);
  return { ...confirmed, userId };
}
