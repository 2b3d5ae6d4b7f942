/**
 * The normalised keys both store adapters index on, so "Mary", "MARY" and "mary" are one login in SQLite
 * and in MongoDB alike. JavaScript's Unicode-aware `toLowerCase` is used rather than SQLite's NOCASE,
 * which folds ASCII only and would let "Мария" and "МАРИЯ" coexist.
 */
import { type Account, LOGIN_PATTERN, portalBindingProblem } from '../domain/account.js';
import { AppError, ErrorCode } from '../errors.js';

/** The case-insensitive uniqueness key of a login (NFC first, so composed and decomposed é are one). */
export function loginKey(login: string): string {
  return login.normalize('NFC').toLowerCase();
}

/** The case-insensitive lookup key of an e-mail address (in practice mailboxes ignore case). */
export function emailKey(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** Refuses a login the domain does not allow, before it becomes a uniqueness key. */
export function assertValidLogin(login: string): void {
  if (!LOGIN_PATTERN.test(login)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `The login '${login}' is not allowed: use 2 to 64 letters, digits, '.', '_', '@' or '-'`,
    );
  }
}

/** Refuses an account linked to a user of another portal than its own (both adapters, create and update). */
export function assertPortalBinding(account: Pick<Account, 'login' | 'memberId' | 'bitrix'>): void {
  const problem = portalBindingProblem(account);
  if (problem) throw new AppError(ErrorCode.INVALID_ARGUMENT, `The Bitrix24 link does not fit: ${problem}`);
}
