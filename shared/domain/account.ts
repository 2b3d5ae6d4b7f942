/**
 * A signer's account: the name the administrator sees (`login`), a description to tell two Marys apart,
 * the portal it belongs to (`memberId`; none for a service-wide account an operator made without a portal),
 * the linked Bitrix24 user of that portal (Bitrix24's REST API exposes no login, so the link is portal
 * member_id + user id, with e-mail as the fallback when linking), and the OTP state.
 */
import type { EncryptedSecret } from './encrypted-secret.js';

export type AccountStatus = 'active' | 'disabled';

export interface BitrixUserLink {
  /** The portal's member_id (tenant key). */
  memberId: string;
  userId: number;
}

export interface OtpEnrollment {
  /** The TOTP secret, encrypted with the master key; never sent to a browser after enrollment. */
  secret: EncryptedSecret;
  enrolledAt: Date;
  /** The last accepted time step: a code is accepted at most once (RFC 6238 §5.2). */
  lastStep: number;
}

export interface OtpLockout {
  /** Times of failed codes inside the current window. */
  failures: Date[];
  lockedUntil: Date | undefined;
}

export interface Account {
  id: string;
  login: string;
  description: string;
  email: string | undefined;
  /**
   * The portal (member_id) the account belongs to; undefined for a service-wide account that an operator
   * made without a portal. Only a user of this portal can ever be linked: `bitrix.memberId` equals it.
   */
  memberId: string | undefined;
  bitrix: BitrixUserLink | undefined;
  status: AccountStatus;
  /** Signs without a code; every such signature is logged as "signed without OTP". */
  otpDisabled: boolean;
  otp: OtpEnrollment | undefined;
  lockout: OtpLockout;
  /**
   * Language of the e-mails and notices this person gets; when absent, the portal's language and then
   * the configured default apply (shared/notices/notice-language.ts).
   */
  language?: 'en' | 'ru';
  /**
   * The IANA time zone times are shown to this person in (pages, e-mails, notices, the stamp) when Bitrix24
   * names none for them; absent: the service's (TZ). shared/i18n/date-time.ts `personTimeZone`.
   */
  timeZone?: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * How a person is named to people: the administrator's description ("Mary Smith, accounting"), else their
 * Bitrix24 name when known, else — only then — the login.
 */
export function accountDisplayName(account: Pick<Account, 'login' | 'description'>, bitrixName?: string): string {
  return account.description.trim() || bitrixName?.trim() || account.login;
}

/** Logins are short, printable, and unique case-insensitively. */
export const LOGIN_PATTERN = /^[\p{L}\p{N}._@-]{2,64}$/u;

/** Why an account's portal and its Bitrix24 link disagree, or undefined when they agree. */
export function portalBindingProblem(account: Pick<Account, 'login' | 'memberId' | 'bitrix'>): string | undefined {
  if (account.bitrix === undefined || account.bitrix.memberId === account.memberId) return undefined;
  return account.memberId === undefined
    ? `account '${account.login}' belongs to no portal, so it cannot be linked to a user of portal ${account.bitrix.memberId}`
    : `account '${account.login}' belongs to portal ${account.memberId}, not to portal ${account.bitrix.memberId}`;
}
