/**
 * A token's health for the worker's health endpoint and the operator: present, logged in, the PIN
 * retry state from CK_TOKEN_INFO.flags (PKCS#11 v2.40 CK_TOKEN_INFO), and certificate expiry.
 */
import type { TokenInfo } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import type { TokenCertificateObject } from './token-objects.js';

/** Health of one token; `present: false` when it cannot be found (all other flags are then false). */
export interface TokenHealth {
  present: boolean;
  loggedIn: boolean;
  /** CKF_USER_PIN_COUNT_LOW: a wrong user PIN was entered since the last successful login. */
  pinLow: boolean;
  /** CKF_USER_PIN_LOCKED: the user PIN is locked; only the security officer can unblock it. */
  pinLocked: boolean;
  /** CKF_USER_PIN_FINAL_TRY: the next wrong PIN locks the token. */
  pinFinalTry: boolean;
  /** Token label and serial (trimmed); the configured ones when the token is absent. */
  label: string;
  serial: string;
  certificates: { id: string; notAfter: Date | undefined; expired: boolean }[];
}

/** Builds the health record of a present token. */
export function presentTokenHealth(
  info: TokenInfo,
  loggedIn: boolean,
  certificates: readonly TokenCertificateObject[],
  now: Date,
): TokenHealth {
  return {
    present: true,
    loggedIn,
    pinLow: (info.flags & pkcs11js.CKF_USER_PIN_COUNT_LOW) !== 0,
    pinLocked: (info.flags & pkcs11js.CKF_USER_PIN_LOCKED) !== 0,
    pinFinalTry: (info.flags & pkcs11js.CKF_USER_PIN_FINAL_TRY) !== 0,
    label: info.label.trim(),
    serial: info.serialNumber.trim(),
    certificates: certificates.map(({ id, notAfter }) => ({
      id,
      notAfter,
      expired: notAfter !== undefined && notAfter.getTime() < now.getTime(),
    })),
  };
}

/** The health record of a token that cannot be found. */
export function absentTokenHealth(token: { label?: string; serial?: string }): TokenHealth {
  return {
    present: false,
    loggedIn: false,
    pinLow: false,
    pinLocked: false,
    pinFinalTry: false,
    label: token.label ?? '',
    serial: token.serial ?? '',
    certificates: [],
  };
}
