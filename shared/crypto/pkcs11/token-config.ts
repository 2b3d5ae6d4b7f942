/**
 * How a PKCS#11 token is named and tuned. The caller reads the PIN from the environment or a secret file
 * and passes it in; this code never logs the PIN and never puts it into an error message.
 */
import { AppError, ErrorCode } from '../../errors.js';

/** Which module to load, which token to use and the user PIN. */
export interface Pkcs11TokenConfig {
  /** Path of the PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so` or `/usr/lib/libeToken.so`. */
  modulePath: string;
  /**
   * The token, by label and/or serial number (both must match when both are given). Never by slot index:
   * slot ids change when a token is re-initialised or re-plugged.
   */
  token: { label?: string; serial?: string };
  /** The user PIN (CKU_USER). Secret: never logged, never in messages. */
  pin: string;
}

/** Tuning of a token object; every field has a default. */
export interface Pkcs11TokenOptions {
  /**
   * Sessions used for signing; each runs one operation at a time (PKCS#11 v2.40, C_SignInit: one active
   * operation per session).
   * @default 2
   */
  sessionPoolSize?: number;
  /**
   * RSA mechanism: `'auto'` uses CKM_SHA256_RSA_PKCS when the token lists it and CKM_RSA_PKCS over
   * DigestInfo otherwise; `'rsa-pkcs'` always uses the CKM_RSA_PKCS path (tokens that list the combined
   * mechanism but fail with it, and tests of the fallback).
   * @default 'auto'
   */
  rsaMechanism?: 'auto' | 'rsa-pkcs';
  /** The clock used to tell expired certificates in `health()`. @default () => new Date() */
  now?: () => Date;
}

/** Options with their defaults filled in. */
export type ResolvedTokenOptions = Required<Pkcs11TokenOptions>;

/** Fills in the defaults of `Pkcs11TokenOptions`. */
export function resolveTokenOptions(options: Pkcs11TokenOptions = {}): ResolvedTokenOptions {
  const sessionPoolSize = options.sessionPoolSize ?? 2;
  if (!Number.isInteger(sessionPoolSize) || sessionPoolSize < 1) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `sessionPoolSize must be a positive integer, got ${sessionPoolSize}`,
    );
  }
  return {
    sessionPoolSize,
    rsaMechanism: options.rsaMechanism ?? 'auto',
    now: options.now ?? (() => new Date()),
  };
}

/** Names the token for messages and logs: label and/or serial, never the PIN. */
export function describeToken(token: Pkcs11TokenConfig['token']): string {
  const parts: string[] = [];
  if (token.label !== undefined) parts.push(`label "${token.label}"`);
  if (token.serial !== undefined) parts.push(`serial "${token.serial}"`);
  return `token ${parts.join(' and ')}`;
}

/** Checks that the config names a module and a token; messages never contain the PIN. */
export function assertTokenConfig(config: Pkcs11TokenConfig): void {
  if (typeof config.modulePath !== 'string' || config.modulePath.trim() === '') {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'PKCS#11 token config: modulePath is empty');
  }
  const { label, serial } = config.token ?? {};
  if ((label === undefined || label.trim() === '') && (serial === undefined || serial.trim() === '')) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'PKCS#11 token config: set token.label or token.serial');
  }
  if (typeof config.pin !== 'string') {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `PKCS#11 ${describeToken(config.token)}: the PIN is missing`);
  }
}
