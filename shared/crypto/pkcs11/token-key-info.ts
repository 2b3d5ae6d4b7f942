/**
 * Type and size of a private key on a token, read from its attributes: CKA_KEY_TYPE, then CKA_MODULUS for
 * RSA or CKA_EC_PARAMS (the DER namedCurve OID, PKCS#11 v2.40 Current Mechanisms, EC private key objects) for EC. The
 * certificate is not trusted for this: the key is what actually signs.
 */
import { endianness } from 'node:os';
import type { PKCS11 } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';
import type { KeyAlgorithm } from '../signing-key.js';

/** What a token key is; `other` for key types we do not sign with (DSA, GOST, ...). */
export type TokenKeyInfo =
  | { kind: 'rsa'; bits: number }
  | { kind: 'ec'; curve: string; bits: number }
  | { kind: 'other'; keyType: number };

/** DER of the namedCurve OIDs [RFC 5480 §2.1.1.1] as they appear in CKA_EC_PARAMS, with the curve size. */
const NAMED_CURVES: ReadonlyMap<string, { curve: string; bits: number }> = new Map([
  ['06082a8648ce3d030107', { curve: 'P-256', bits: 256 }],
  ['06052b81040022', { curve: 'P-384', bits: 384 }],
  ['06052b81040023', { curve: 'P-521', bits: 521 }],
]);

/** Reads the type and size of the key object `key` (attribute read failures propagate as Pkcs11Error). */
export function readKeyInfo(p11: PKCS11, session: Buffer, key: Buffer): TokenKeyInfo {
  const [type] = p11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_KEY_TYPE }]);
  const keyType = readUlong(type!.value);
  if (keyType === pkcs11js.CKK_RSA) {
    const [modulus] = p11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_MODULUS }]);
    return { kind: 'rsa', bits: bitLength(modulus!.value) };
  }
  if (keyType === pkcs11js.CKK_EC) {
    const [params] = p11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EC_PARAMS }]);
    const named = NAMED_CURVES.get(params!.value.toString('hex'));
    return named === undefined
      ? { kind: 'ec', curve: `unknown (${params!.value.toString('hex')})`, bits: 0 }
      : { kind: 'ec', ...named };
  }
  return { kind: 'other', keyType };
}

/**
 * The `KeyAlgorithm` of the signing port for a token key.
 * @throws AppError KEY_UNSUPPORTED for anything but RSA and EC P-256 (the algorithms of our CMS builder).
 */
export function toKeyAlgorithm(info: TokenKeyInfo, keyName: string): KeyAlgorithm {
  if (info.kind === 'rsa') return { kind: 'rsa', bits: info.bits };
  if (info.kind === 'ec' && info.curve === 'P-256') return { kind: 'ec', curve: 'P-256', bits: 256 };
  const what = info.kind === 'ec' ? `an EC ${info.curve} key` : `a key of type 0x${info.keyType.toString(16)}`;
  throw new AppError(
    ErrorCode.KEY_UNSUPPORTED,
    `${keyName} is ${what}; SignService signs with RSA and EC P-256 keys only`,
  );
}

/** A CK_ULONG attribute value: native byte order, 4 or 8 bytes depending on the platform. */
function readUlong(value: Buffer): number {
  const littleEndian = endianness() === 'LE';
  if (value.length === 8) return Number(littleEndian ? value.readBigUInt64LE() : value.readBigUInt64BE());
  return littleEndian ? value.readUInt32LE() : value.readUInt32BE();
}

/** Bit length of an unsigned big-endian integer (RSA key size = modulus bits). */
function bitLength(value: Buffer): number {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  if (start === value.length) return 0;
  return (value.length - start - 1) * 8 + (32 - Math.clz32(value[start]!));
}
