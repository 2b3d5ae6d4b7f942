/**
 * TOTP secrets: generation, the fixed algorithm parameters, and sealing at rest. A secret is 160 random
 * bits, the size RFC 4226 §4 (R6) recommends and FreeOTP expects; it is stored only as a master-key
 * envelope whose GCM additional data names the account, so an envelope copied onto another account's
 * record does not open.
 */
import { randomBytes } from 'node:crypto';
import type { MasterKey } from '../crypto/master-key.js';
import type { EncryptedSecret } from '../domain/encrypted-secret.js';

/** SHA1 / 6 digits / 30 s: what FreeOTP, Google Authenticator and every other app accept [RFC 6238 §4]. */
export const TOTP_PARAMS = Object.freeze({ algorithm: 'SHA1', digits: 6, period: 30 });

/** 160 bits [RFC 4226 §4, R6]. */
export const TOTP_SECRET_BYTES = 20;

/** A fresh random TOTP secret. */
export function generateTotpSecret(): Buffer {
  return randomBytes(TOTP_SECRET_BYTES);
}

/** The GCM additional data binding a sealed secret to its account. */
function sealContext(accountId: string): string {
  return `otp-secret:${accountId}`;
}

/** Encrypts an account's TOTP secret for storage. */
export function sealTotpSecret(masterKey: MasterKey, accountId: string, secret: Buffer): EncryptedSecret {
  return masterKey.seal(secret, sealContext(accountId));
}

/**
 * Decrypts an account's TOTP secret. The caller keeps the result in memory only as long as it needs it.
 * @throws AppError MASTER_KEY_INVALID when the envelope was sealed by another key or for another account.
 */
export function openTotpSecret(masterKey: MasterKey, accountId: string, sealed: EncryptedSecret): Buffer {
  return masterKey.open(sealed, sealContext(accountId));
}
