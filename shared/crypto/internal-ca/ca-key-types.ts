/**
 * Key types of the internal CA: which WebCrypto algorithm generates and signs with each, and conversions
 * between PKCS#8 bytes (what is sealed under the master key) and WebCrypto keys (what @peculiar/x509 signs
 * with). Certificates and CRLs are signed with SHA-256 [RFC 4055 §5, RFC 5758 §3.2].
 */
import { webcrypto } from 'node:crypto';
import { AppError, ErrorCode } from '../../errors.js';

/** Key types the CA generates; the root uses `ROOT_KEY_TYPES`. */
export const CA_KEY_TYPES = ['rsa2048', 'rsa3072', 'ec-p256'] as const;
export type CaKeyType = (typeof CA_KEY_TYPES)[number];

/** A root key is RSA 3072 or EC P-256 (NIST SP 800-57: 128-bit security for a long-lived key). */
export const ROOT_KEY_TYPES = ['rsa3072', 'ec-p256'] as const satisfies readonly CaKeyType[];
export type RootKeyType = (typeof ROOT_KEY_TYPES)[number];

type SigningAlgorithm = RsaHashedImportParams | (EcKeyImportParams & EcdsaParams);

/** The WebCrypto algorithm (with SHA-256) for a key type. */
export function signingAlgorithm(type: CaKeyType): SigningAlgorithm {
  if (type === 'ec-p256') return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** Checks a key type given on the command line or in a record. */
export function parseKeyType<T extends CaKeyType>(value: string, allowed: readonly T[], what: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new AppError(ErrorCode.INVALID_ARGUMENT, `${what} must be one of ${allowed.join(', ')}, not "${value}"`);
}

/** A fresh key pair; the private key is extractable once, to be sealed as PKCS#8. */
export async function generateCaKeyPair(type: CaKeyType): Promise<{ keys: CryptoKeyPair; pkcs8: Buffer }> {
  const algorithm: RsaHashedKeyGenParams | EcKeyGenParams =
    type === 'ec-p256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          hash: 'SHA-256',
          modulusLength: type === 'rsa3072' ? 3072 : 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
        };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { keys, pkcs8 };
}

/** Imports a sealed-and-opened PKCS#8 key for signing certificates and CRLs (not extractable again). */
export async function importSigningKey(pkcs8: Buffer, type: CaKeyType): Promise<CryptoKey> {
  try {
    return await webcrypto.subtle.importKey('pkcs8', pkcs8, signingAlgorithm(type), false, ['sign']);
  } catch (error) {
    throw new AppError(
      ErrorCode.KEY_INVALID,
      `The stored ${type} CA key cannot be imported: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Imports a SubjectPublicKeyInfo (e.g. of a key generated on a token) as a WebCrypto public key. */
export async function importPublicKey(spki: Buffer, type: CaKeyType): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('spki', spki, signingAlgorithm(type), true, ['verify']);
}

/** PKCS#8 DER to PEM, the form `loadPemKey` reads. */
export function pkcs8ToPem(pkcs8: Buffer): string {
  return toPem(pkcs8, 'PRIVATE KEY');
}

/** DER to PEM with 64-character lines [RFC 7468 §2]. */
export function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
