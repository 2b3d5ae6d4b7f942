/**
 * The signer's name on the approval pages: the account's description, else the Bitrix24 user's name (user.get
 * with the app's tokens, best effort), else the login — never a bare login where a name exists.
 */
import { type Account, accountDisplayName } from '../../shared/domain/account.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import type { B24UiDeps } from './b24-ui-deps.js';

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The name of the person `request` waits for (or waited for); '' without an account. */
export async function signerName(deps: B24UiDeps, request: SignRequest, account: Account | undefined): Promise<string> {
  if (!account) return '';
  if (account.description.trim()) return account.description.trim();
  const memberId = request.document.kind === 'bitrix24' ? request.document.memberId : undefined;
  const userId = request.robot?.signerUserId || (account.bitrix?.memberId === memberId ? account.bitrix?.userId : 0);
  if (!memberId || !userId) return account.login;
  try {
    const users = await deps.b24.calls.call<unknown[]>(memberId, 'user.get', { FILTER: { ID: userId } });
    const user = (Array.isArray(users) ? users[0] : undefined) as Record<string, unknown> | undefined;
    const name = [text(user?.NAME), text(user?.LAST_NAME)].filter(Boolean).join(' ');
    return accountDisplayName(account, name);
  } catch (error) {
    deps.logger.warn({ requestId: request.id, error }, 'approval page: the signer’s Bitrix24 name could not be read');
    return account.login;
  }
}
