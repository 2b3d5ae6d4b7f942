/**
 * TOTP verification for an account: the code must match within ±1 time step [RFC 6238 §5.2, "at most one
 * time step" of delay], each step is accepted at most once per account (§5.2: the verifier MUST NOT accept
 * the second attempt of an OTP after a successful validation), and repeated failures lock the account
 * [RFC 4226 §7.3, throttling]: `lockoutFailures` wrong codes within `lockoutWindowMinutes` lock it for
 * `lockoutMinutes`; while locked, every attempt (even a right code) gets OTP_LOCKED with the time. The
 * lock ends by itself at that time (or when an administrator unlocks the account) and is announced to the
 * signer and the administrator (`onLocked`, lockout-announcer.ts).
 *
 * Every failure is counted in the sign log, but not one entry each: someone holding an approval link could
 * otherwise fill the log at will. At most one `otp_failed` entry per account per minute is written, carrying
 * in `attempts` every failed attempt since the account's previous such entry (the store keeps the tally, so
 * nothing is dropped, across processes too); the lockout entry is always written and takes the tally, and a
 * right code after failures writes what is still untold.
 */
import type { Config } from '../config.js';
import type { MasterKey } from '../crypto/master-key.js';
import type { Account, OtpEnrollment } from '../domain/account.js';
import type { SignLogActor } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Store } from '../store/store-ports.js';
import { isWellFormedOtpCode, matchTotpCode, normalizeOtpCode } from './totp-code.js';
import { openTotpSecret } from './totp-secret.js';

export type OtpLockoutSettings = Pick<Config['otp'], 'lockoutFailures' | 'lockoutWindowMinutes' | 'lockoutMinutes'>;

export interface TotpVerifierDeps {
  store: Store;
  masterKey: MasterKey;
  settings: OtpLockoutSettings;
  /** @default () => new Date() */
  now?: () => Date;
  logger?: Logger;
  /** Called once when an account gets locked (e.g. to e-mail the lockout notice); its errors are only logged. */
  onLocked?: (account: Account, lockedUntil: Date) => Promise<void>;
}

/** Who is trying and for what, for the sign log. */
export interface OtpAttemptContext {
  actor?: SignLogActor;
  requestId?: string;
  clientAddress?: string;
}

export interface TotpVerifier {
  /**
   * Accepts `code` for `account` or throws AppError OTP_INVALID, OTP_REPLAYED, OTP_LOCKED, OTP_NOT_ENROLLED,
   * ACCOUNT_DISABLED or ACCOUNT_NOT_FOUND. Returns the accepted time step.
   */
  verify(options: { account: Account; code: string } & OtpAttemptContext): Promise<{ step: number }>;
}

type Deps = TotpVerifierDeps & { logger: Logger };

/** One attempt: the account as just reloaded, the time, and the caller's context. */
interface Attempt {
  account: Account;
  at: Date;
  ctx: OtpAttemptContext;
}

const MINUTE = 60_000;
/** At most one `otp_failed` entry per account per this long. */
export const FAILURE_LOG_GAP_MS = MINUTE;

function signLogFields({ account, ctx }: Attempt) {
  return {
    actor: { accountId: account.id, login: account.login, ...ctx.actor },
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {}),
  };
}

/**
 * Counts a failed attempt; writes an `otp_failed` entry with every attempt not yet told when the account's
 * last one is a minute old (`add` 0 and `gapMs` 0: write what is still untold, if anything).
 */
async function logFailure(
  deps: Deps,
  attempt: Attempt,
  details: Record<string, string | number>,
  tally: { add: number; gapMs: number } = { add: 1, gapMs: FAILURE_LOG_GAP_MS },
): Promise<void> {
  const { account, at } = attempt;
  if (tally.add > 0)
    deps.logger.warn({ accountId: account.id, login: account.login, ...details }, 'one-time code rejected');
  // The tally taken and its entry are stored together (Store.transaction).
  await deps.store.transaction(async () => {
    const attempts = await deps.store.accounts.takeOtpFailureTally(account.id, at, {
      add: tally.add,
      minGapMs: tally.gapMs,
    });
    if (attempts === 0) return;
    await deps.store.signLog.append({
      time: at,
      action: 'otp_failed',
      outcome: 'error',
      ...signLogFields(attempt),
      details: { ...details, attempts },
    });
  });
}

function lockedError(account: Account, until: Date): AppError {
  return new AppError(
    ErrorCode.OTP_LOCKED,
    `Too many wrong one-time codes: account '${account.login}' is locked until ${until.toISOString()}; ` +
      'try again after that time, or ask the administrator to unlock it',
    { details: { lockedUntil: until.toISOString() } },
  );
}

/** Locks the account after the failure that reached the limit, logs it (always) and tells the hook. */
async function lock(deps: Deps, attempt: Attempt, failures: number, reason: string): Promise<never> {
  const { account, at } = attempt;
  const until = new Date(at.getTime() + deps.settings.lockoutMinutes * MINUTE);
  // The lock and its entry are stored together (Store.transaction).
  await deps.store.transaction(async () => {
    await deps.store.accounts.setLockedUntil(account.id, until);
    // The lockout entry takes the tally: this failure and every one no entry has counted yet.
    const attempts = await deps.store.accounts.takeOtpFailureTally(account.id, at, { add: 1, minGapMs: 0 });
    await deps.store.signLog.append({
      time: at,
      action: 'locked',
      outcome: 'error',
      ...signLogFields(attempt),
      details: { lockedUntil: until.toISOString(), failures, attempts, reason },
    });
  });
  deps.logger.warn(
    { accountId: account.id, login: account.login, lockedUntil: until, reason },
    'account locked after wrong codes',
  );
  await deps.onLocked?.(account, until).catch((error: unknown) => {
    deps.logger.error({ accountId: account.id, error }, 'could not send the lockout notice');
  });
  throw lockedError(account, until);
}

/** Counts a wrong code; the failure that reaches the limit locks the account. */
async function fail(deps: Deps, attempt: Attempt, reason: string): Promise<never> {
  const { settings } = deps;
  const windowStart = new Date(attempt.at.getTime() - settings.lockoutWindowMinutes * MINUTE);
  const failures = await deps.store.accounts.recordOtpFailure(attempt.account.id, attempt.at, windowStart);
  if (failures >= settings.lockoutFailures) return lock(deps, attempt, failures, reason);
  await logFailure(deps, attempt, { reason, failures });
  const left = settings.lockoutFailures - failures;
  throw new AppError(
    ErrorCode.OTP_INVALID,
    `Wrong one-time code; ${left} more wrong code(s) within ${settings.lockoutWindowMinutes} minutes lock the account`,
    { details: { attemptsLeft: left } },
  );
}

/** Reloads the account and checks it may try a code at all (exists, active, enrolled, not locked). */
async function startAttempt(deps: Deps, accountId: string, at: Date, ctx: OtpAttemptContext) {
  const account = await deps.store.accounts.get(accountId);
  if (!account) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `No account with id ${accountId}`);
  if (account.status === 'disabled') {
    throw new AppError(ErrorCode.ACCOUNT_DISABLED, `Account '${account.login}' is disabled by the administrator`);
  }
  if (!account.otp) {
    throw new AppError(
      ErrorCode.OTP_NOT_ENROLLED,
      `Account '${account.login}' has no authenticator yet: ask the administrator for an enrollment link`,
    );
  }
  const attempt: Attempt = { account, at, ctx };
  const lockedUntil = account.lockout.lockedUntil;
  if (lockedUntil && lockedUntil.getTime() > at.getTime()) {
    await logFailure(deps, attempt, { reason: 'locked', lockedUntil: lockedUntil.toISOString() });
    throw lockedError(account, lockedUntil);
  }
  // The lock is over: forget the failures that caused it, so the next wrong code does not relock at once.
  if (lockedUntil) await deps.store.accounts.setLockedUntil(account.id, undefined);
  return { attempt, otp: account.otp as OtpEnrollment };
}

/** The steps the code matches, with the decrypted secret wiped right after use. */
function matchingSteps(deps: Deps, attempt: Attempt, otp: OtpEnrollment, code: string): number[] {
  const secret = openTotpSecret(deps.masterKey, attempt.account.id, otp.secret);
  try {
    return matchTotpCode({ secret, code, at: attempt.at, window: 1 });
  } finally {
    secret.fill(0);
  }
}

async function verify(deps: Deps, options: { account: Account; code: string } & OtpAttemptContext) {
  const at = (deps.now ?? (() => new Date()))();
  const { attempt, otp } = await startAttempt(deps, options.account.id, at, options);
  const code = normalizeOtpCode(options.code);
  if (!isWellFormedOtpCode(code)) return fail(deps, attempt, 'malformed');
  const steps = matchingSteps(deps, attempt, otp, code);
  if (steps.length === 0) return fail(deps, attempt, 'wrong_code');
  const step = steps.find((s) => s > otp.lastStep);
  // A used step is refused without counting a failure: only someone who saw a right code can replay it.
  // The store's compare-and-set settles concurrent attempts with the same code.
  if (step === undefined || !(await deps.store.accounts.acceptOtpStep(attempt.account.id, step))) {
    await logFailure(deps, attempt, { reason: 'replayed' });
    throw new AppError(
      ErrorCode.OTP_REPLAYED,
      'This one-time code was used already; wait for the next code in your authenticator app',
    );
  }
  // A right code ends the run of failures; attempts no entry has counted yet are written now.
  if (attempt.account.lockout.failures.length > 0) {
    await deps.store.accounts.setLockedUntil(attempt.account.id, undefined);
    await logFailure(deps, attempt, { reason: 'before_success' }, { add: 0, gapMs: 0 });
  }
  return { step };
}

/** Creates the verifier; all state (last step, failures, lock) lives in the store. */
export function createTotpVerifier(deps: TotpVerifierDeps): TotpVerifier {
  const resolved: Deps = { ...deps, logger: deps.logger ?? silentLogger };
  return { verify: (options) => verify(resolved, options) };
}
