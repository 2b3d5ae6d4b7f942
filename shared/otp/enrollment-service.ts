/**
 * OTP enrollment by link. The administrator creates a link (single use, valid `linkMinutes`, stored only
 * as the SHA-256 of its random token); the link's page shows a fresh secret as a QR code and as text; the
 * person confirms with a first valid code, and only then does the secret replace the account's old one.
 * After that the link answers "already used" and nothing about the secret is shown again.
 */
import type { MasterKey } from '../crypto/master-key.js';
import type { Account } from '../domain/account.js';
import type { EnrollmentLink } from '../domain/enrollment-link.js';
import type { SignLogActor } from '../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Store } from '../store/store-ports.js';
import {
  enrollmentFormToken,
  enrollmentTokenHash,
  formTokenMatches,
  loadValidLink,
  newEnrollmentToken,
} from './enrollment-link-token.js';
import { renderOtpQrDataUrl } from './otp-qr.js';
import { buildOtpUri, formatSecretForManualEntry } from './otp-uri.js';
import { matchTotpCode, normalizeOtpCode } from './totp-code.js';
import { generateTotpSecret, openTotpSecret, sealTotpSecret } from './totp-secret.js';

export interface EnrollmentServiceDeps {
  store: Store;
  masterKey: MasterKey;
  /** The issuer shown in the authenticator (config.otp.issuer). */
  issuer: string;
  /** Base URL of the activity app, without a trailing slash (config.publicBaseUrl). */
  publicBaseUrl: string;
  /** @default 60 (config.enrollmentLinkMinutes) */
  linkMinutes?: number;
  /** @default () => new Date() */
  now?: () => Date;
  logger?: Logger;
}

/** A freshly created link. The token exists only here and in the URL; the store keeps its hash. */
export interface CreatedEnrollmentLink {
  url: string;
  token: string;
  expiresAt: Date;
}

/** What the enrollment page shows while the link is valid. */
export interface EnrollmentView {
  login: string;
  issuer: string;
  otpUri: string;
  qrDataUrl: string;
  /** The base32 secret in groups of four, for typing it in by hand. */
  manualSecret: string;
  expiresAt: Date;
  /** The hidden form value that binds the confirmation POST to this link (CSRF). */
  formToken: string;
}

export interface EnrollmentService {
  /** @throws AppError ACCOUNT_DISABLED */
  createLink(options: { account: Account; actor?: SignLogActor }): Promise<CreatedEnrollmentLink>;
  /** @throws AppError ENROLLMENT_LINK_INVALID / _USED / _EXPIRED */
  open(options: { token: string }): Promise<EnrollmentView>;
  /**
   * Confirms the enrollment with the first code. Throws ENROLLMENT_LINK_* for a bad link, INVALID_ARGUMENT
   * for a form that does not belong to the link, OTP_INVALID for a wrong code (the link stays usable).
   */
  complete(options: { token: string; formToken: string; code: string; clientAddress?: string }): Promise<{
    login: string;
  }>;
}

type Deps = Required<Omit<EnrollmentServiceDeps, 'now'>> & { now: () => Date };

async function loadAccount(deps: Deps, accountId: string): Promise<Account> {
  const account = await deps.store.accounts.get(accountId);
  if (!account) {
    throw new AppError(ErrorCode.ENROLLMENT_LINK_INVALID, 'The account of this enrollment link no longer exists');
  }
  return account;
}

async function createLink(deps: Deps, { account, actor }: { account: Account; actor?: SignLogActor }) {
  if (account.status === 'disabled') {
    throw new AppError(
      ErrorCode.ACCOUNT_DISABLED,
      `Account '${account.login}' is disabled; enable it before enrolling`,
    );
  }
  const at = deps.now();
  const token = newEnrollmentToken();
  const secret = generateTotpSecret();
  const link: EnrollmentLink = {
    tokenHash: enrollmentTokenHash(token),
    accountId: account.id,
    createdAt: at,
    expiresAt: new Date(at.getTime() + deps.linkMinutes * 60_000),
    usedAt: undefined,
    pendingSecret: sealTotpSecret(deps.masterKey, account.id, secret),
  };
  secret.fill(0);
  // A new link replaces the account's earlier ones: only the newest mail works.
  await deps.store.enrollments.expireForAccount(account.id, at);
  await deps.store.enrollments.create(link);
  await deps.store.signLog.append({
    time: at,
    action: 'link_created',
    actor: { role: 'admin', ...actor },
    outcome: 'ok',
    details: { account: account.login, accountId: account.id, expiresAt: link.expiresAt.toISOString() },
  });
  deps.logger.info(
    { accountId: account.id, login: account.login, expiresAt: link.expiresAt },
    'enrollment link created',
  );
  return { url: `${deps.publicBaseUrl}/enroll/${token}`, token, expiresAt: link.expiresAt };
}

async function openLink(deps: Deps, { token }: { token: string }): Promise<EnrollmentView> {
  const link = await loadValidLink(deps.store.enrollments, token, deps.now());
  const account = await loadAccount(deps, link.accountId);
  const secret = openTotpSecret(deps.masterKey, account.id, link.pendingSecret);
  try {
    const otpUri = buildOtpUri({ secret, issuer: deps.issuer, accountName: account.login });
    return {
      login: account.login,
      issuer: deps.issuer,
      otpUri,
      qrDataUrl: await renderOtpQrDataUrl(otpUri),
      manualSecret: formatSecretForManualEntry(secret),
      expiresAt: link.expiresAt,
      formToken: enrollmentFormToken(secret, link.tokenHash),
    };
  } finally {
    secret.fill(0);
  }
}

async function complete(
  deps: Deps,
  options: { token: string; formToken: string; code: string; clientAddress?: string },
): Promise<{ login: string }> {
  const at = deps.now();
  const link = await loadValidLink(deps.store.enrollments, options.token, at);
  const account = await loadAccount(deps, link.accountId);
  const secret = openTotpSecret(deps.masterKey, account.id, link.pendingSecret);
  let steps: number[];
  try {
    if (!formTokenMatches(options.formToken, enrollmentFormToken(secret, link.tokenHash))) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        'The form does not belong to this enrollment link; reload the page',
      );
    }
    // No throttling here: whoever holds the link sees the secret anyway, so guessing codes gains nothing.
    steps = matchTotpCode({ secret, code: normalizeOtpCode(options.code), at, window: 1 });
  } finally {
    secret.fill(0);
  }
  if (steps.length === 0) {
    throw new AppError(
      ErrorCode.OTP_INVALID,
      'The code does not match; check that the phone shows the right time, then type the code that is shown now',
    );
  }
  // The link is the single-use guard: whoever marks it used first completes the enrollment.
  if (!(await deps.store.enrollments.markUsed(link.tokenHash, at))) {
    throw new AppError(ErrorCode.ENROLLMENT_LINK_USED, 'This enrollment link was used already; each link works once');
  }
  await deps.store.accounts.update({
    ...account,
    // Re-enrollment replaces the old secret; the confirming step counts as used (RFC 6238 §5.2).
    otp: { secret: link.pendingSecret, enrolledAt: at, lastStep: Math.max(...steps) },
    lockout: { failures: [], lockedUntil: undefined },
    updatedAt: at,
  });
  await deps.store.signLog.append({
    time: at,
    action: 'enrolled',
    actor: { accountId: account.id, login: account.login },
    outcome: 'ok',
    ...(options.clientAddress ? { clientAddress: options.clientAddress } : {}),
    details: { reenrolled: account.otp !== undefined },
  });
  deps.logger.info({ accountId: account.id, login: account.login }, 'authenticator enrolled');
  return { login: account.login };
}

/** Creates the enrollment service. */
export function createEnrollmentService(deps: EnrollmentServiceDeps): EnrollmentService {
  const resolved: Deps = {
    ...deps,
    linkMinutes: deps.linkMinutes ?? 60,
    now: deps.now ?? (() => new Date()),
    logger: deps.logger ?? silentLogger,
  };
  return {
    createLink: (options) => createLink(resolved, options),
    open: (options) => openLink(resolved, options),
    complete: (options) => complete(resolved, options),
  };
}
