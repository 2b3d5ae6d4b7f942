/**
 * OTP enrollment by link. The administrator creates a link (single use, valid `linkMinutes`, stored only
 * as the SHA-256 of its random token) that holds no secret yet. Opening the link (`open`) shows who it is
 * for and a button; only when the person asks for the key on the page (`reveal`, a POST) is a secret made,
 * stored sealed as the link's pending secret and shown as a QR code and as text — a new one each time they
 * ask, so whoever opened the link first (a mail scanner, a preview pane) knows nothing that lasts. The
 * person confirms with a first valid code of the key shown last (`complete`), and only then does the secret
 * replace the account's old one. After that the link answers "already used" and nothing is shown again.
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

/** What the enrollment page shows before the person asks for the key. */
export interface EnrollmentLinkView {
  login: string;
  issuer: string;
  expiresAt: Date;
  /** The account's own time zone, when it has one (the page shows the link's end there). */
  timeZone?: string;
}

/** What the enrollment page shows once the person asked for the key. */
export interface EnrollmentView {
  login: string;
  issuer: string;
  /** The account's own time zone, when it has one. */
  timeZone?: string;
  otpUri: string;
  qrDataUrl: string;
  /** The base32 secret in groups of four, for typing it in by hand. */
  manualSecret: string;
  expiresAt: Date;
  /** The hidden form value that binds the confirmation to this key: a newer key makes it stale. */
  formToken: string;
}

export interface EnrollmentService {
  /** @throws AppError ACCOUNT_DISABLED */
  createLink(options: { account: Account; actor?: SignLogActor }): Promise<CreatedEnrollmentLink>;
  /** Who the link is for; reveals nothing. @throws AppError ENROLLMENT_LINK_INVALID / _USED / _EXPIRED */
  open(options: { token: string }): Promise<EnrollmentLinkView>;
  /**
   * Makes a new secret for the link (replacing one shown before) and returns it for the page.
   * @throws AppError ENROLLMENT_LINK_INVALID / _USED / _EXPIRED
   */
  reveal(options: { token: string; clientAddress?: string }): Promise<EnrollmentView>;
  /**
   * The key shown last, again (to re-show the page after a wrong code, in the page's own POST flow).
   * @throws AppError ENROLLMENT_LINK_*, INVALID_ARGUMENT when no key was shown yet
   */
  shown(options: { token: string }): Promise<EnrollmentView>;
  /**
   * Confirms the enrollment with the first code of the key shown last. Throws ENROLLMENT_LINK_* for a bad
   * link, INVALID_ARGUMENT when no key was shown yet or the form belongs to an older key, OTP_INVALID for a
   * wrong code (the link stays usable).
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
  // No secret yet: it is made when the person asks for it on the page (reveal).
  const link: EnrollmentLink = {
    tokenHash: enrollmentTokenHash(token),
    accountId: account.id,
    createdAt: at,
    expiresAt: new Date(at.getTime() + deps.linkMinutes * 60_000),
    usedAt: undefined,
    pendingSecret: undefined,
  };
  // A new link replaces the account's earlier ones: only the newest mail works.
  await deps.store.transaction(async () => {
    await deps.store.enrollments.expireForAccount(account.id, at);
    await deps.store.enrollments.create(link);
    await deps.store.signLog.append({
      time: at,
      action: 'link_created',
      actor: { role: 'admin', ...actor },
      outcome: 'ok',
      details: { account: account.login, accountId: account.id, expiresAt: link.expiresAt.toISOString() },
    });
  });
  deps.logger.info(
    { accountId: account.id, login: account.login, expiresAt: link.expiresAt },
    'enrollment link created',
  );
  return { url: `${deps.publicBaseUrl}/enroll/${token}`, token, expiresAt: link.expiresAt };
}

async function openLink(deps: Deps, { token }: { token: string }): Promise<EnrollmentLinkView> {
  const link = await loadValidLink(deps.store.enrollments, token, deps.now());
  const account = await loadAccount(deps, link.accountId);
  const zone = account.timeZone ? { timeZone: account.timeZone } : {};
  return { login: account.login, issuer: deps.issuer, expiresAt: link.expiresAt, ...zone };
}

/** The page's view of `secret` (QR code, key for typing, the form's key tag). */
async function keyView(deps: Deps, account: Account, link: EnrollmentLink, secret: Buffer): Promise<EnrollmentView> {
  const otpUri = buildOtpUri({ secret, issuer: deps.issuer, accountName: account.login });
  return {
    login: account.login,
    issuer: deps.issuer,
    ...(account.timeZone ? { timeZone: account.timeZone } : {}),
    otpUri,
    qrDataUrl: await renderOtpQrDataUrl(otpUri),
    manualSecret: formatSecretForManualEntry(secret),
    expiresAt: link.expiresAt,
    formToken: enrollmentFormToken(secret, link.tokenHash),
  };
}

async function reveal(deps: Deps, options: { token: string; clientAddress?: string }): Promise<EnrollmentView> {
  const at = deps.now();
  const link = await loadValidLink(deps.store.enrollments, options.token, at);
  const account = await loadAccount(deps, link.accountId);
  const secret = generateTotpSecret();
  try {
    const sealed = sealTotpSecret(deps.masterKey, account.id, secret);
    if (!(await deps.store.enrollments.replacePendingSecret(link.tokenHash, sealed, at))) {
      // Used or expired between the check and now: say which.
      await loadValidLink(deps.store.enrollments, options.token, at);
      throw new AppError(ErrorCode.ENROLLMENT_LINK_USED, 'This enrollment link was used already; each link works once');
    }
    deps.logger.info(
      { accountId: account.id, login: account.login, clientAddress: options.clientAddress },
      'enrollment key shown (a new one)',
    );
    return await keyView(deps, account, link, secret);
  } finally {
    secret.fill(0);
  }
}

async function shown(deps: Deps, { token }: { token: string }): Promise<EnrollmentView> {
  const link = await loadValidLink(deps.store.enrollments, token, deps.now());
  const account = await loadAccount(deps, link.accountId);
  if (!link.pendingSecret) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'No key was shown for this link yet: press "Show my key" first');
  }
  const secret = openTotpSecret(deps.masterKey, account.id, link.pendingSecret);
  try {
    return await keyView(deps, account, link, secret);
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
  if (!link.pendingSecret) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'No key was shown for this link yet: press "Show my key" first');
  }
  const pending = link.pendingSecret;
  const secret = openTotpSecret(deps.masterKey, account.id, pending);
  let steps: number[];
  try {
    if (!formTokenMatches(options.formToken, enrollmentFormToken(secret, link.tokenHash))) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        'A newer key was shown for this link (another tab or window): scan the newest key and type its code',
        { details: { reason: 'stale_key' } },
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
  await deps.store.transaction(async () => {
    if (!(await deps.store.enrollments.markUsed(link.tokenHash, at))) {
      throw new AppError(ErrorCode.ENROLLMENT_LINK_USED, 'This enrollment link was used already; each link works once');
    }
    await deps.store.accounts.update({
      ...account,
      // Re-enrollment replaces the old secret; the confirming step counts as used (RFC 6238 §5.2).
      otp: { secret: pending, enrolledAt: at, lastStep: Math.max(...steps) },
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
    reveal: (options) => reveal(resolved, options),
    shown: (options) => shown(resolved, options),
    complete: (options) => complete(resolved, options),
  };
}
