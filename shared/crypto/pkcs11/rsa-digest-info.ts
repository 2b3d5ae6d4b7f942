/**
 * The RSASSA-PKCS1-v1_5 input for tokens without CKM_SHA256_RSA_PKCS: with plain CKM_RSA_PKCS the token
 * only pads, so the caller passes the DER DigestInfo itself (PKCS#11 v2.40 Current Mechanisms, CKM_RSA_PKCS).
 */
import { createHash } from 'node:crypto';

/**
 * DER of `DigestInfo { AlgorithmIdentifier { id-sha256, NULL }, OCTET STRING (32 bytes) }` up to the
 * hash, as listed in [RFC 8017 §9.2, note 1].
 */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** DigestInfo(sha256) || SHA-256(data): signing it with CKM_RSA_PKCS equals CKM_SHA256_RSA_PKCS over data. */
export function sha256DigestInfo(data: Buffer): Buffer {
  const hash = createHash('sha256').update(data).digest();
  return Buffer.concat([SHA256_DIGEST_INFO_PREFIX, hash]);
}
