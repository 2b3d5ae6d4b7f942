/**
 * Operators and their sign-in: login + password + a TOTP code. On the first sign-in (no confirmed
 * authenticator yet) a right password yields the set-up — the QR code and the key as text — and a first
 * code confirms it. Wrong passwords and wrong codes count alike: `lockoutFailures` (5) of them within the
 * window lock the login for `lockoutMinutes` (15); while locked even right credentials are refused.
 * The answer never says whether the login exists or which part was wrong.
 */
import type { MasterKey } from '../crypto/master-key.js';
import type { Operator } from '../domain/operator.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { renderOtpQrDataUrl } from '../otp/otp-qr.js';
import { buildOtpUri, formatSecretForManualEntry } from '../otp/otp-uri.js';
import { isWellFormedOtpCode, matchTotpCode, normalizeOtpCode } from '../otp/totp-code.js';
import { generateTotpSecret } from '../otp/totp-secret.js';
import type { Store } from '../store/store-ports.js';
import { assertAcceptablePassword, DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password-hash.js';

export interface OperatorServiceDeps {
  store: Store;
  masterKey: MasterKey;
  /** Shown in the authenticator. */
  issuer: string;
  /** @default 5 failures within 15 minutes lock for 15 minutes */
  lockout?: { failures: number; windowMinutes: number; minutes: number };
  now?: () => Date;
  logger?: Logger;
}

/** The first-sign-in set-up: shown once, until a first code confirms it. */
export interface TotpSetup {
  otpUri: string;
  qrDataUrl: string;
  manualSecret: string;
}

export type SignInResult =
  | { stage: 'active'; login: string }
  | { stage: 'totp-setup'; login: string; setup: TotpSetup };

export interface OperatorService {
  add(options: { login: string; password: string }): Promise<Operator>;
  /** @throws AppError ADMIN_SIGN_IN_FAILED (wrong anything), ADMIN_LOCKED (too many failures). */
  signIn(options: { login: string; password: string; code: string }): Promise<SignInResult>;
  /** Confirms the set-up with a first code. @throws AppError ADMIN_SIGN_IN_FAILED, ADMIN_LOCKED */
  confirmTotp(options: { login: string; code: string }): Promise<void>;
  /** Forgets the authenticator: the next sign-in shows a new set-up. */
  resetTotp(options: { login: string }): Promise<void>;
  /** Lifts a lockout. */
  unlock(options: { login: string }): Promise<void>;
}

const context = (login: string) => `operator-totp:${login.normalize('NFC').toLowerCase()}`;
const failed = () =>
  new AppError(ErrorCode.ADMIN_SIGN_IN_FAILED, 'The login, the password or the one-time code is not right');

type Deps = Required<Omit<OperatorServiceDeps, 'logger'>> & { logger: Logger };

async function refuse(deps: Deps, operator: Operator | undefined, reason: string): Promise<never> {
  deps.logger.warn({ login: operator?.login, reason }, 'operator sign-in refused');
  if (!operator) throw failed();
  const at = deps.now();
  const windowStart = new Date(at.getTime() - deps.lockout.windowMinutes * 60_000);
  const failures = await deps.store.admin.operators.recordFailure(operator.login, at, windowStart);
  if (failures >= deps.lockout.failures) {
    const until = new Date(at.getTime() + deps.lockout.minutes * 60_000);
    await deps.store.admin.operators.setLockedUntil(operator.login, until);
    deps.logger.warn({ login: operator.login, lockedUntil: until }, 'operator login locked');
  }
  throw failed();
}

function lockedError(until: Date): AppError {
  return new AppError(
    ErrorCode.ADMIN_LOCKED,
    `Too many failed sign-ins: this login is locked until ${until.toISOString()}`,
    { details: { lockedUntil: until.toISOString() } },
  );
}

async function checkCode(deps: Deps, operator: Operator, code: string): Promise<boolean> {
  if (!operator.totp) return false;
  const normalized = normalizeOtpCode(code);
  if (!isWellFormedOtpCode(normalized)) return false;
  const secret = deps.masterKey.open(operator.totp.secret, context(operator.login));
  let steps: number[];
  try {
    steps = matchTotpCode({ secret, code: normalized, at: deps.now(), window: 1 });
  } finally {
    secret.fill(0);
  }
  const step = steps.find((s) => s > (operator.totp?.lastStep ?? -1));
  return step !== undefined && deps.store.admin.operators.acceptTotpStep(operator.login, step);
}

async function newSetup(deps: Deps, operator: Operator): Promise<TotpSetup> {
  const secret = generateTotpSecret();
  try {
    const sealed = deps.masterKey.seal(secret, context(operator.login));
    await deps.store.admin.operators.update({
      ...operator,
      totp: { secret: sealed, confirmedAt: undefined, lastStep: 0 },
      updatedAt: deps.now(),
    });
    const otpUri = buildOtpUri({ secret, issuer: deps.issuer, accountName: `${operator.login} (operator)` });
    return { otpUri, qrDataUrl: await renderOtpQrDataUrl(otpUri), manualSecret: formatSecretForManualEntry(secret) };
  } finally {
    secret.fill(0);
  }
}

async function loadUnlocked(deps: Deps, login: string): Promise<Operator | undefined> {
  const operator = await deps.store.admin.operators.get(login);
  const until = operator?.lockedUntil;
  if (operator && until && until.getTime() > deps.now().getTime()) throw lockedError(until);
  if (operator && until) await deps.store.admin.operators.setLockedUntil(operator.login, undefined);
  return operator;
}

async function signIn(deps: Deps, o: { login: string; password: string; code: string }): Promise<SignInResult> {
  const operator = await loadUnlocked(deps, o.login);
  const passwordOk = await verifyPassword(o.password, operator?.passwordHash ?? (await DUMMY_PASSWORD_HASH));
  if (!operator || !passwordOk) return refuse(deps, operator, 'password');
  if (!operator.totp?.confirmedAt) {
    return { stage: 'totp-setup', login: operator.login, setup: await newSetup(deps, operator) };
  }
  if (!(await checkCode(deps, operator, o.code))) return refuse(deps, operator, 'code');
  if (operator.failures.length > 0) await deps.store.admin.operators.setLockedUntil(operator.login, undefined);
  deps.logger.info({ login: operator.login }, 'operator signed in');
  return { stage: 'active', login: operator.login };
}

async function confirmTotp(deps: Deps, o: { login: string; code: string }): Promise<void> {
  const operator = await loadUnlocked(deps, o.login);
  if (!operator?.totp || operator.totp.confirmedAt) return refuse(deps, operator, 'no set-up');
  if (!(await checkCode(deps, operator, o.code))) return refuse(deps, operator, 'first code');
  const fresh = (await deps.store.admin.operators.get(operator.login)) ?? operator;
  await deps.store.admin.operators.update({
    ...fresh,
    totp: fresh.totp ? { ...fresh.totp, confirmedAt: deps.now() } : undefined,
    failures: [],
    updatedAt: deps.now(),
  });
  deps.logger.info({ login: operator.login }, 'operator authenticator confirmed');
}

/** Creates the operator service. */
export function createOperatorService(deps: OperatorServiceDeps): OperatorService {
  const d: Deps = {
    store: deps.store,
    masterKey: deps.masterKey,
    issuer: deps.issuer,
    lockout: deps.lockout ?? { failures: 5, windowMinutes: 15, minutes: 15 },
    now: deps.now ?? (() => new Date()),
    logger: deps.logger ?? silentLogger,
  };
  const must = async (login: string) => {
    const operator = await d.store.admin.operators.get(login);
    if (!operator) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `There is no operator '${login}'`);
    return operator;
  };
  return {
    async add({ login, password }) {
      assertAcceptablePassword(password);
      const at = d.now();
      const operator: Operator = {
        login,
        passwordHash: await hashPassword(password),
        totp: undefined,
        failures: [],
        lockedUntil: undefined,
        createdAt: at,
        updatedAt: at,
      };
      await d.store.admin.operators.create(operator);
      return operator;
    },
    signIn: (o) => signIn(d, o),
    confirmTotp: (o) => confirmTotp(d, o),
    async resetTotp({ login }) {
      const operator = await must(login);
      await d.store.admin.operators.update({ ...operator, totp: undefined, updatedAt: d.now() });
    },
    async unlock({ login }) {
      await must(login);
      await d.store.admin.operators.setLockedUntil(login, undefined);
    },
  };
}
