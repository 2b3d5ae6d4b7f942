/**
 * The administrator's changes to an account beyond what the account service offers: description, e-mail,
 * language, time zone, OTP requirement, active/disabled, and resetting the authenticator. Every change is one store
 * update followed by a sign-log entry naming the administrator and what changed (never a secret).
 */
import type { Account } from '../domain/account.js';
import type { SignLogAction, SignLogActor } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import { checkTimeZone } from '../pdf/stamp/stamp-time.js';
import type { Store } from '../store/store-ports.js';

export interface AccountChange {
  description?: string;
  email?: string | null;
  language?: 'en' | 'ru' | null;
  /** An IANA time zone name (checked); null: not set (the Bitrix24 user's, else the service's zone). */
  timeZone?: string | null;
  otpDisabled?: boolean;
  status?: 'active' | 'disabled';
}

const EMAIL_PATTERN = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

async function log(store: Store, at: Date, action: SignLogAction, account: Account, actor: SignLogActor, details = {}) {
  await store.signLog.append({
    time: at,
    action,
    actor,
    outcome: 'ok',
    details: { account: account.login, accountId: account.id, ...details },
  });
}

/** Applies `change`; returns the stored account. */
export async function editAccount(o: {
  store: Store;
  account: Account;
  change: AccountChange;
  actor: SignLogActor;
  now: Date;
}): Promise<Account> {
  const { account, change } = o;
  if (change.email && !EMAIL_PATTERN.test(change.email)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `'${change.email}' is not an e-mail address`);
  }
  const next: Account = {
    ...account,
    ...(change.description !== undefined ? { description: change.description } : {}),
    ...(change.email !== undefined ? { email: change.email ?? undefined } : {}),
    ...(change.otpDisabled !== undefined ? { otpDisabled: change.otpDisabled } : {}),
    ...(change.status !== undefined ? { status: change.status } : {}),
    updatedAt: o.now,
  };
  if (change.language === null) delete next.language;
  else if (change.language !== undefined) next.language = change.language;
  if (change.timeZone === null) delete next.timeZone;
  else if (change.timeZone !== undefined) next.timeZone = checkTimeZone(change.timeZone, 'time zone');
  const changed = (['description', 'email', 'language', 'timeZone', 'status'] as const).filter(
    (k) => change[k] !== undefined && String(change[k] ?? '') !== String(account[k] ?? ''),
  );
  // The change and its entries are stored together (Store.transaction).
  await o.store.transaction(async () => {
    await o.store.accounts.update(next);
    if (changed.length > 0) {
      await log(o.store, o.now, 'account_updated', next, o.actor, {
        changed: changed.join(','),
        ...(change.status !== undefined ? { status: next.status } : {}),
      });
    }
    if (change.otpDisabled !== undefined && change.otpDisabled !== account.otpDisabled) {
      await log(o.store, o.now, change.otpDisabled ? 'otp_disabled' : 'otp_enabled', next, o.actor);
    }
  });
  return next;
}

/** Forgets the account's authenticator (a lost phone): it needs a new enrollment link to sign again. */
export async function resetAccountOtp(o: { store: Store; account: Account; actor: SignLogActor; now: Date }) {
  const next: Account = {
    ...o.account,
    otp: undefined,
    lockout: { failures: [], lockedUntil: undefined },
    updatedAt: o.now,
  };
  await o.store.transaction(async () => {
    await o.store.accounts.update(next);
    await o.store.enrollments.expireForAccount(o.account.id, o.now);
    await log(o.store, o.now, 'otp_reset', next, o.actor);
  });
  return next;
}
