/**
 * Signer accounts: what the administrator creates and manages. `login` is the name the administrator sees;
 * an account belongs to one portal (`memberId`) or, made by an operator without one, to none (service-wide);
 * the Bitrix24 user link (portal member_id + user id) is what a signature request is matched by, with the
 * e-mail as the fallback the first time a user is seen — within the account's own portal only. Every change
 * is written to the sign log.
 */
import { randomUUID } from 'node:crypto';
import { type Account, type BitrixUserLink, LOGIN_PATTERN } from '../domain/account.js';
import type { SignLogAction, SignLogActor } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { checkTimeZone } from '../pdf/stamp/stamp-time.js';
import type { AccountFilter, Store } from '../store/store-ports.js';

export interface AccountServiceDeps {
  store: Store;
  /** @default () => new Date() */
  now?: () => Date;
  logger?: Logger;
}

export interface NewAccount {
  login: string;
  description?: string;
  email?: string;
  /** The portal the account belongs to. @default the portal of `bitrix`; none: a service-wide account */
  memberId?: string;
  /** The Bitrix24 user it is linked to; its portal must be `memberId`. */
  bitrix?: BitrixUserLink;
  /** Sign without a one-time code (every such signature is logged as "signed without OTP"). @default false */
  otpDisabled?: boolean;
  /** Language of the person's e-mails and notices. @default not set (the portal's, then the configured default) */
  language?: 'en' | 'ru';
  /** IANA time zone of the times this person is shown (checked). @default not set (Bitrix24's, then the service's) */
  timeZone?: string;
  actor?: SignLogActor;
}

export interface AccountService {
  /** @throws AppError INVALID_ARGUMENT for a bad login/e-mail/link, ACCOUNT_EXISTS for a taken login. */
  add(options: NewAccount): Promise<Account>;
  /** All accounts, or one portal's (`{ memberId }`), by login. */
  list(filter?: AccountFilter): Promise<Account[]>;
  /** @throws AppError ACCOUNT_NOT_FOUND */
  get(options: { login: string }): Promise<Account>;
  /** Turns "OTP disabled" on or off. */
  setOtpDisabled(options: { login: string; disabled: boolean; actor?: SignLogActor }): Promise<Account>;
  /** Lifts an OTP lockout and forgets the failures (logged as 'unlocked'). */
  unlock(options: { login: string; actor?: SignLogActor }): Promise<Account>;
  /**
   * The account of a Bitrix24 user: by portal member_id + user id; failing that, the one account of the
   * same portal with the user's e-mail that is linked to nobody yet, which then gets linked (compare-and-set:
   * a linked account is never re-linked; service-wide accounts and other portals' accounts are never
   * candidates; two candidates link neither). Undefined when none fits.
   */
  findForBitrixUser(options: { memberId: string; userId: number; email?: string }): Promise<Account | undefined>;
}

const EMAIL_PATTERN = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

function validate(options: NewAccount): void {
  if (!LOGIN_PATTERN.test(options.login)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `login '${options.login}' is not valid: use 2 to 64 letters, digits, '.', '_', '@' or '-'`,
    );
  }
  if (options.email !== undefined && !EMAIL_PATTERN.test(options.email)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `'${options.email}' is not an e-mail address`);
  }
  if (
    options.bitrix &&
    (!options.bitrix.memberId.trim() || !(Number.isInteger(options.bitrix.userId) && options.bitrix.userId > 0))
  ) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'a Bitrix24 link needs the portal member_id and a positive user id');
  }
  if (options.memberId !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(options.memberId)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `'${options.memberId}' is not a portal member_id`);
  }
  if (options.bitrix && options.memberId !== undefined && options.bitrix.memberId !== options.memberId) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `the Bitrix24 user must be a user of the account's portal ${options.memberId}, not of ${options.bitrix.memberId}`,
    );
  }
  if ((options.description ?? '').length > 500) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'the description is longer than 500 characters');
  }
}

type Deps = { store: Store; now: () => Date; logger: Logger };

function log(deps: Deps, action: SignLogAction, account: Account, actor: SignLogActor | undefined, details = {}) {
  return deps.store.signLog.append({
    time: deps.now(),
    action,
    actor: { role: 'admin', ...actor },
    outcome: 'ok',
    details: { account: account.login, accountId: account.id, ...details },
  });
}

async function getAccount(deps: Deps, login: string): Promise<Account> {
  const account = await deps.store.accounts.getByLogin(login);
  if (!account) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `There is no account '${login}' (see 'account list')`);
  return account;
}

async function addAccount(deps: Deps, options: NewAccount): Promise<Account> {
  validate(options);
  if (options.bitrix) {
    const linked = await deps.store.accounts.findByBitrixUser(options.bitrix.memberId, options.bitrix.userId);
    if (linked) {
      throw new AppError(
        ErrorCode.ACCOUNT_EXISTS,
        `Bitrix24 user ${options.bitrix.userId} of portal ${options.bitrix.memberId} is already linked to account '${linked.login}'`,
      );
    }
  }
  const at = deps.now();
  const account: Account = {
    id: randomUUID(),
    login: options.login,
    description: options.description ?? '',
    email: options.email,
    memberId: options.memberId ?? options.bitrix?.memberId,
    bitrix: options.bitrix,
    status: 'active',
    otpDisabled: options.otpDisabled ?? false,
    otp: undefined,
    lockout: { failures: [], lockedUntil: undefined },
    ...(options.language ? { language: options.language } : {}),
    ...(options.timeZone ? { timeZone: checkTimeZone(options.timeZone, 'time zone') } : {}),
    createdAt: at,
    updatedAt: at,
  };
  await deps.store.transaction(async () => {
    await deps.store.accounts.create(account);
    await log(deps, 'account_created', account, options.actor, {
      otpDisabled: account.otpDisabled,
      ...(account.memberId ? { memberId: account.memberId } : {}),
    });
    if (account.otpDisabled) await log(deps, 'otp_disabled', account, options.actor);
  });
  deps.logger.info({ accountId: account.id, login: account.login }, 'account created');
  return account;
}

async function setOtpDisabled(deps: Deps, options: { login: string; disabled: boolean; actor?: SignLogActor }) {
  const account = await getAccount(deps, options.login);
  const updated: Account = { ...account, otpDisabled: options.disabled, updatedAt: deps.now() };
  await deps.store.transaction(async () => {
    await deps.store.accounts.update(updated);
    await log(deps, options.disabled ? 'otp_disabled' : 'otp_enabled', updated, options.actor);
  });
  deps.logger.warn(
    { accountId: account.id, login: account.login, otpDisabled: options.disabled },
    'OTP requirement changed',
  );
  return updated;
}

async function unlock(deps: Deps, options: { login: string; actor?: SignLogActor }): Promise<Account> {
  const account = await getAccount(deps, options.login);
  const wasLockedUntil = account.lockout.lockedUntil;
  await deps.store.transaction(async () => {
    await deps.store.accounts.setLockedUntil(account.id, undefined);
    await log(deps, 'unlocked', account, options.actor, {
      wasLocked: wasLockedUntil !== undefined && wasLockedUntil.getTime() > deps.now().getTime(),
      failuresCleared: account.lockout.failures.length,
    });
  });
  deps.logger.info({ accountId: account.id, login: account.login }, 'account unlocked');
  return (await deps.store.accounts.get(account.id)) ?? account;
}

async function findForBitrixUser(deps: Deps, options: { memberId: string; userId: number; email?: string }) {
  const { memberId, userId, email } = options;
  const linked = await deps.store.accounts.findByBitrixUser(memberId, userId);
  if (linked || !email) return linked;
  // Only this portal's accounts that nobody uses yet: a user of another portal with the same e-mail is
  // another person as far as we can prove, and a service-wide account is linked by an operator only.
  const candidates = (await deps.store.accounts.findByEmail(email)).filter(
    (a) => a.memberId === memberId && a.bitrix === undefined,
  );
  // Two unlinked accounts with one e-mail: guessing could let one person sign as the other.
  if (candidates.length !== 1) return undefined;
  const account = candidates[0] as Account;
  const at = deps.now();
  if (!(await deps.store.accounts.linkBitrixUser(account.id, { memberId, userId }, at))) {
    // Linked meanwhile (to this user by a concurrent call, or to someone else): never re-link.
    return deps.store.accounts.findByBitrixUser(memberId, userId);
  }
  const updated: Account = { ...account, bitrix: { memberId, userId }, updatedAt: at };
  await log(deps, 'account_updated', updated, { role: 'system' }, { linkedBitrixUser: userId, memberId, by: 'email' });
  deps.logger.info({ accountId: account.id, memberId, userId }, 'account linked to its Bitrix24 user by e-mail');
  return updated;
}

/** Creates the account service. */
export function createAccountService(deps: AccountServiceDeps): AccountService {
  const resolved: Deps = {
    store: deps.store,
    now: deps.now ?? (() => new Date()),
    logger: deps.logger ?? silentLogger,
  };
  return {
    add: (options) => addAccount(resolved, options),
    list: (filter) => resolved.store.accounts.list(filter),
    get: ({ login }) => getAccount(resolved, login),
    setOtpDisabled: (options) => setOtpDisabled(resolved, options),
    unlock: (options) => unlock(resolved, options),
    findForBitrixUser: (options) => findForBitrixUser(resolved, options),
  };
}
