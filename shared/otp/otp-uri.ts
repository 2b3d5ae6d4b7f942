/**
 * The provisioning URI an authenticator scans: `otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…`, the Key
 * URI format of Google Authenticator that FreeOTP extends (freeotp-android URI.md). The issuer goes both
 * into the label prefix and the `issuer` parameter, as FreeOTP recommends; neither part may hold a colon.
 */
import { Secret } from 'otpauth';
import { TOTP_PARAMS } from './totp-secret.js';

export interface OtpUriOptions {
  /** The raw secret (160 bits). */
  secret: Buffer;
  /** Who issues the token, shown as the token's title (e.g. "SignService" or the company). */
  issuer: string;
  /** Whose token it is: the account's login. */
  accountName: string;
  /**
   * FreeOTP `lock`: ask for the phone's screen lock each time the code is shown.
   * @default false (a phone without a screen lock could not show the code at all)
   */
  lock?: boolean;
}

/** RFC 4648 base32 without padding, the form the `secret` parameter takes. */
export function toBase32(secret: Buffer): string {
  return new Secret({ buffer: new Uint8Array(secret).buffer }).base32.replace(/=+$/, '');
}

/** The secret in groups of four characters, easier to type into an authenticator by hand. */
export function formatSecretForManualEntry(secret: Buffer): string {
  return toBase32(secret).replace(/(.{4})(?=.)/g, '$1 ');
}

/** Neither the issuer nor the account name may contain a colon (it separates them in the label). */
function labelPart(text: string): string {
  return text.replace(/:/g, ' ').trim();
}

/** Builds the `otpauth://totp/…` URI. Spaces are encoded as %20 (not '+'), as authenticators expect. */
export function buildOtpUri(options: OtpUriOptions): string {
  const issuer = labelPart(options.issuer);
  const account = labelPart(options.accountName);
  const params: [string, string][] = [
    ['secret', toBase32(options.secret)],
    ['issuer', issuer],
    ['algorithm', TOTP_PARAMS.algorithm],
    ['digits', String(TOTP_PARAMS.digits)],
    ['period', String(TOTP_PARAMS.period)],
  ];
  if (options.lock) params.push(['lock', 'true']);
  const query = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?${query}`;
}
