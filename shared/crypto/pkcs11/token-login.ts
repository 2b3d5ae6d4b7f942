/**
 * The one C_Login of a token connection. A wrong PIN is never retried: tokens count failures and lock
 * the user PIN after a few (eTokens typically after 5-15), and only the security officer can unlock it.
 * Login state is per application per token, not per session (PKCS#11 v2.40, C_Login), so one login serves
 * every session we open later, and CKR_USER_ALREADY_LOGGED_IN means someone in this process did it.
 */
import type { PKCS11 } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';
import { ckrCode, ckrName } from './pkcs11-error.js';

/** CKR_* values of C_Login that say the PIN itself is unusable; all are final for this configuration. */
const PIN_REJECTED = new Set<number>([
  pkcs11js.CKR_PIN_INCORRECT,
  pkcs11js.CKR_PIN_INVALID,
  pkcs11js.CKR_PIN_LEN_RANGE,
]);

/**
 * Logs the user in on `session` with exactly one C_Login call (none when the token already reports the
 * PIN locked).
 * @throws AppError TOKEN_PIN_INCORRECT or TOKEN_PIN_LOCKED (the caller must remember these and not call
 *   again); other failures are rethrown as the Pkcs11Error (device removed, ...).
 */
export function loginUser(p11: PKCS11, slot: Buffer, session: Buffer, pin: string, tokenName: string): void {
  if (pinFlags(p11, slot).locked) throw pinLocked(tokenName);
  try {
    p11.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (error) {
    const code = ckrCode(error);
    if (code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return;
    if (code === pkcs11js.CKR_PIN_LOCKED) throw pinLocked(tokenName, error);
    if (code !== undefined && PIN_REJECTED.has(code)) throw pinIncorrect(p11, slot, tokenName, error);
    throw error;
  }
}

function pinIncorrect(p11: PKCS11, slot: Buffer, tokenName: string, error: unknown): AppError {
  const flags = pinFlags(p11, slot);
  const state = flags.locked
    ? ' The token has now locked the user PIN.'
    : flags.finalTry
      ? ' The next wrong PIN will lock the token.'
      : '';
  return new AppError(
    ErrorCode.TOKEN_PIN_INCORRECT,
    `The PIN for PKCS#11 ${tokenName} was rejected (${ckrName(error)}).${state} It is not retried ` +
      'automatically; correct the PIN in the token secret and reopen the token (restart the worker).',
    { cause: error, details: { ckr: ckrName(error), pinLocked: flags.locked, pinFinalTry: flags.finalTry } },
  );
}

function pinLocked(tokenName: string, error?: unknown): AppError {
  return new AppError(
    ErrorCode.TOKEN_PIN_LOCKED,
    `The user PIN of PKCS#11 ${tokenName} is locked. The token administrator (security officer) must ` +
      'unblock it with the vendor tool (e.g. SafeNet Authentication Client) before it can sign again.',
    error === undefined ? {} : { cause: error },
  );
}

/** The PIN state flags of CK_TOKEN_INFO; all false if the token cannot be asked. */
function pinFlags(p11: PKCS11, slot: Buffer): { locked: boolean; finalTry: boolean } {
  try {
    const { flags } = p11.C_GetTokenInfo(slot);
    return {
      locked: (flags & pkcs11js.CKF_USER_PIN_LOCKED) !== 0,
      finalTry: (flags & pkcs11js.CKF_USER_PIN_FINAL_TRY) !== 0,
    };
  } catch {
    return { locked: false, finalTry: false };
  }
}
