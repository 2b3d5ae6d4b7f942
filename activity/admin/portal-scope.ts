/**
 * Confining a caller to their portal: which portal an account belongs to, and the refusals. Something
 * outside the caller's portal answers exactly as something that does not exist (404), so a portal
 * administrator learns nothing about other portals.
 */
import type { Account } from '../../shared/domain/account.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { Caller } from './api-route.js';

/** The portal an account belongs to; undefined = service-wide (only operators and unscoped tokens see it). */
export function accountPortal(account: Account): string | undefined {
  return account.memberId;
}

export function inScope(caller: Caller | undefined, memberId: string | undefined): boolean {
  return !caller?.portal || caller.portal === memberId;
}

/** The account by id, if the caller may see it. @throws AppError ACCOUNT_NOT_FOUND */
export async function accountFor(store: Store, caller: Caller | undefined, id: string): Promise<Account> {
  const account = await store.accounts.get(id);
  if (!account || !inScope(caller, accountPortal(account))) {
    throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `There is no account ${id}`);
  }
  return account;
}

/** The accounts the caller may see: a portal's only (the store filters), or all. */
export async function accountsFor(store: Store, caller: Caller | undefined): Promise<Account[]> {
  return store.accounts.list(caller?.portal ? { memberId: caller.portal } : undefined);
}
