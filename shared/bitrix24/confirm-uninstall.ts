/**
 * Whether the portal confirms that the app was uninstalled. `ONAPPUNINSTALL` carries no tokens, and its
 * application_token proves only which portal the call is about — every user's browser sees it in frame
 * POSTs (reference §1.3, §5.3) — so the portal itself is asked, with the app's own stored tokens:
 *
 * - after a real uninstall Bitrix24 has revoked them (§1.2 "the API is already revoked"): the portal refuses
 *   the access token, the OAuth server the refresh token — the client ends with B24_AUTH_FAILED → confirmed;
 * - `app.info` answers `INSTALLED: false` (the tokens still work, the app is gone) → confirmed;
 * - `app.info` answers `INSTALLED: true` → the app is installed: the uninstall is not true.
 *
 * Anything else (the portal unreachable, overloaded, …) is neither: the error is thrown and nothing changes.
 */
import { AppError, ErrorCode } from '../errors.js';
import type { Bitrix24Client } from './rest-client.js';

/** What the portal says. */
export type UninstallVerdict = 'uninstalled' | 'still_installed';

/**
 * Asks portal `memberId` with its stored tokens.
 * @throws AppError B24_UNAVAILABLE, B24_RATE_LIMITED, B24_ACCESS_DENIED, … when the portal gives no verdict
 */
export async function confirmUninstall(client: Bitrix24Client, memberId: string): Promise<UninstallVerdict> {
  try {
    const answer = await client.call<{ INSTALLED?: unknown }>(memberId, 'app.info', {}, { idempotent: true });
    return answer.result?.INSTALLED === false ? 'uninstalled' : 'still_installed';
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.B24_AUTH_FAILED) return 'uninstalled';
    throw error;
  }
}
