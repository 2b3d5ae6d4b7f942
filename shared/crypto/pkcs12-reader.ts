/**
 * Reads PKCS#12 files protected the modern way (OpenSSL 3 / Windows 10+ defaults): PBES2 with PBKDF2
 * and AES-CBC for the bags [RFC 8018 §6.2], and an HMAC integrity check with the PKCS#12 key derivation
 * [RFC 7292 Appendix B]. Everything runs on Node's native crypto: opening a P12 this way costs a few
 * milliseconds where node-forge's pure-JS PBKDF2 costs ~170 ms plus ~60 ms to import. Files using the
 * legacy PKCS#12 PBE ciphers (RC2, 3DES) return `undefined`, and the caller falls back to node-forge.
 */
import crypto from 'node:crypto';
import { AppError, ErrorCode } from '../errors.js';
import { type DerElement, readDer, readOctetString, readOid, readSmallInteger } from './der.js';

const OID_DATA = '1.2.840.113549.1.7.1';
const OID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const OID_X509_CERT = '1.2.840.113549.1.9.22.1';
const HASHES: Record<string, { name: string; u: number; v: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', u: 20, v: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', u: 32, v: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', u: 48, v: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', u: 64, v: 128 },
};
const PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, string> = {
  '2.16.840.1.101.3.4.1.2': 'aes-128-cbc',
  '2.16.840.1.101.3.4.1.22': 'aes-192-cbc',
  '2.16.840.1.101.3.4.1.42': 'aes-256-cbc',
};

class LegacyPkcs12 extends Error {}

/** RFC 7292 Appendix B.2: derives `size` bytes of key material of purpose `id` (3 = MAC key). */
function pkcs12Kdf(
  hash: { name: string; u: number; v: number },
  password: string | null,
  salt: Buffer,
  iterations: number,
  id: number,
  size: number,
): Buffer {
  const { v, u } = hash;
  const fill = (data: Buffer): Buffer => {
    if (data.length === 0) return data;
    const out = Buffer.alloc(v * Math.ceil(data.length / v));
    for (let i = 0; i < out.length; i++) out[i] = data[i % data.length]!;
    return out;
  };
  // A null password has no bytes; any other is a NUL-terminated BMPString (so "" is two zero bytes).
  const pw =
    password === null ? Buffer.alloc(0) : Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  let I = Buffer.concat([fill(salt), fill(pw)]);
  const D = Buffer.alloc(v, id);
  const out: Buffer[] = [];
  for (let produced = 0; produced < size; produced += u) {
    let A = crypto.createHash(hash.name).update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = crypto.createHash(hash.name).update(A).digest();
    out.push(A);
    const B = fill(A);
    const next = Buffer.alloc(I.length);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        next[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
    I = next;
  }
  return Buffer.concat(out).subarray(0, size);
}

function checkMac(macData: DerElement, authSafe: Buffer, password: string): void {
  const [digestInfo, saltEl, iterEl] = macData.children();
  const [algId, digestEl] = digestInfo!.children();
  const hash = HASHES[readOid(algId!.children()[0]!)];
  if (!hash) throw new LegacyPkcs12('unknown MAC digest');
  const salt = readOctetString(saltEl!);
  const iterations = iterEl ? readSmallInteger(iterEl) : 1;
  const expected = readOctetString(digestEl!);
  // Producers disagree on whether an empty password is "no password" or "": accept either.
  const candidates: (string | null)[] = password === '' ? ['', null] : [password];
  const matches = candidates.some((pw) => {
    const key = pkcs12Kdf(hash, pw, salt, iterations, 3, hash.u);
    const mac = crypto.createHmac(hash.name, key).update(authSafe).digest();
    return mac.length === expected.length && crypto.timingSafeEqual(mac, expected);
  });
  if (!matches) {
    throw new AppError(ErrorCode.KEY_BAD_PASSWORD, 'The PKCS#12 password is wrong');
  }
}

/** Decrypts PBES2 (PBKDF2 + AES-CBC) content; legacy schemes throw LegacyPkcs12. */
function pbes2Decrypt(algorithm: DerElement, data: Buffer, password: string): Buffer {
  const [oidEl, params] = algorithm.children();
  if (readOid(oidEl!) !== OID_PBES2) throw new LegacyPkcs12('legacy PBE');
  const [kdf, scheme] = params!.children();
  const [kdfOid, kdfParams] = kdf!.children();
  if (readOid(kdfOid!) !== OID_PBKDF2) throw new LegacyPkcs12('unknown KDF');
  const kp = kdfParams!.children();
  const salt = readOctetString(kp[0]!);
  const iterations = readSmallInteger(kp[1]!);
  const prfEl = kp.find((c) => c.tag === 0x30);
  const prf = prfEl ? PRFS[readOid(prfEl.children()[0]!)] : 'sha1';
  const [cipherOid, ivEl] = scheme!.children();
  const cipher = CIPHERS[readOid(cipherOid!)];
  if (!cipher || !prf) throw new LegacyPkcs12('unknown cipher');
  const keyLength = Number(cipher.split('-')[1]) / 8;
  const key = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, keyLength, prf);
  try {
    const decipher = crypto.createDecipheriv(cipher, key, readOctetString(ivEl!));
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch (error) {
    throw new AppError(ErrorCode.KEY_BAD_PASSWORD, 'The PKCS#12 password is wrong', { cause: error });
  }
}

function readBags(safeContents: Buffer, password: string, keys: Buffer[], certificates: Buffer[]): void {
  for (const bag of readDer(safeContents, 0, { ber: true }).children()) {
    const [idEl, valueEl] = bag.children();
    const id = readOid(idEl!);
    const value = valueEl!.children()[0]!;
    if (id === OID_KEY_BAG) keys.push(Buffer.from(value.encoded));
    else if (id === OID_SHROUDED_KEY_BAG) {
      const [alg, enc] = value.children();
      keys.push(pbes2Decrypt(alg!, readOctetString(enc!), password));
    } else if (id === OID_CERT_BAG) {
      const [certType, certValue] = value.children();
      if (readOid(certType!) === OID_X509_CERT) certificates.push(readOctetString(certValue!.children()[0]!));
    }
  }
}

/** Keys (PKCS#8 DER) and certificates (DER), or undefined when the file needs the legacy ciphers. */
export function readModernPkcs12(
  bytes: Buffer,
  password: string,
): { keys: Buffer[]; certificates: Buffer[] } | undefined {
  try {
    const pfx = readDer(bytes, 0, { ber: true });
    const [, authSafeInfo, macData] = pfx.children();
    const [typeEl, contentEl] = authSafeInfo!.children();
    if (readOid(typeEl!) !== OID_DATA) throw new LegacyPkcs12('signed PFX');
    const authSafe = readOctetString(contentEl!.children()[0]!);
    if (macData) checkMac(macData, authSafe, password);
    const keys: Buffer[] = [];
    const certificates: Buffer[] = [];
    for (const info of readDer(authSafe, 0, { ber: true }).children()) {
      const [t, c] = info.children();
      const type = readOid(t!);
      if (type === OID_DATA) readBags(readOctetString(c!.children()[0]!), password, keys, certificates);
      else if (type === OID_ENCRYPTED_DATA) {
        const encryptedContentInfo = c!.children()[0]!.children()[1]!;
        const [, alg, enc] = encryptedContentInfo.children();
        const data = enc!.constructed
          ? Buffer.concat(enc!.children().map((p) => Buffer.from(p.content)))
          : Buffer.from(enc!.content);
        readBags(pbes2Decrypt(alg!, data, password), password, keys, certificates);
      }
    }
    return { keys, certificates };
  } catch (error) {
    if (error instanceof LegacyPkcs12) return undefined;
    if (error instanceof AppError) throw error;
    throw new AppError(ErrorCode.KEY_INVALID, `The PKCS#12 file cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
