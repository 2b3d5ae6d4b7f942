/**
 * Finding the slot that holds a token, by label or serial number. Slot ids are not stable: SoftHSM2
 * reassigns a token to a new slot on --init-token and eTokens get a new slot when re-plugged, so the
 * slot is looked up again whenever the token has to be found (start-up, after a removal).
 */
import type { PKCS11, TokenInfo } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';
import { tokenFailure } from './pkcs11-error.js';
import { describeToken, type Pkcs11TokenConfig } from './token-config.js';

/** A present token: its slot handle, trimmed label and serial, and the token info it was found by. */
export interface TokenSlot {
  slot: Buffer;
  label: string;
  serial: string;
  info: TokenInfo;
}

/**
 * The slot of the token named by `token` (label and/or serial, trimmed of the 32/16-character blank
 * padding of PKCS#11 v2.40 CK_TOKEN_INFO).
 * @throws AppError TOKEN_ABSENT naming the wanted token and the tokens present; INVALID_ARGUMENT when
 *   the label matches several tokens.
 */
export function findTokenSlot(p11: PKCS11, modulePath: string, token: Pkcs11TokenConfig['token']): TokenSlot {
  const present = presentTokens(p11, modulePath);
  const wantedLabel = token.label?.trim();
  const wantedSerial = token.serial?.trim();
  const matches = present.filter(
    (t) =>
      (wantedLabel === undefined || t.label === wantedLabel) &&
      (wantedSerial === undefined || t.serial === wantedSerial),
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    const list = present.length === 0 ? 'none' : present.map(nameOf).join(', ');
    throw new AppError(
      ErrorCode.TOKEN_ABSENT,
      `PKCS#11 ${describeToken(token)} is not present in module "${modulePath}" (tokens present: ${list}). ` +
        'Plug the token in, or correct the label/serial in the token configuration.',
      { details: { modulePath, wanted: token, present: present.map(({ label, serial }) => ({ label, serial })) } },
    );
  }
  throw new AppError(
    ErrorCode.INVALID_ARGUMENT,
    `PKCS#11 ${describeToken(token)} matches ${matches.length} tokens (${matches.map(nameOf).join(', ')}); ` +
      'add token.serial to the token configuration.',
  );
}

/** Initialised tokens present in the module's slots. A token pulled out during the scan is skipped. */
function presentTokens(p11: PKCS11, modulePath: string): TokenSlot[] {
  let slots: Buffer[];
  try {
    slots = p11.C_GetSlotList(true);
  } catch (error) {
    throw tokenFailure(error, 'C_GetSlotList', `module "${modulePath}"`);
  }
  const tokens: TokenSlot[] = [];
  for (const slot of slots) {
    let info: TokenInfo;
    try {
      info = p11.C_GetTokenInfo(slot);
    } catch {
      continue; // removed between C_GetSlotList and C_GetTokenInfo
    }
    // SoftHSM2 always offers one extra, uninitialised token; it cannot be the configured one.
    if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0) continue;
    tokens.push({ slot, label: info.label.trim(), serial: info.serialNumber.trim(), info });
  }
  return tokens;
}

function nameOf(token: TokenSlot): string {
  return `"${token.label}" (serial ${token.serial || 'none'})`;
}
