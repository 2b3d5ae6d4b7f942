/**
 * One signature on one session: choose the input for the mechanism, C_SignInit, then C_SignAsync so the
 * token works on a libuv thread and the event loop stays free (pkcs11js runs the *Async calls in
 * napi_async_work; C_SignInit is quick and synchronous).
 */
import { createHash } from 'node:crypto';
import type { PKCS11 } from 'pkcs11js';
import pkcs11js from 'pkcs11js';
import { ecdsaRawToDer } from './ecdsa-signature.js';
import { sha256DigestInfo } from './rsa-digest-info.js';

/**
 * How a signature is made:
 * - `sha256-rsa-pkcs`: CKM_SHA256_RSA_PKCS, the token hashes `data` itself;
 * - `rsa-pkcs`: CKM_RSA_PKCS over DigestInfo(sha256) || SHA-256(data), for tokens without the combined
 *   mechanism (same bytes out: RSASSA-PKCS1-v1_5 is deterministic, [RFC 8017 §8.2]);
 * - `ecdsa`: SHA-256 in Node, then CKM_ECDSA (SoftHSM2 and many tokens lack CKM_ECDSA_SHA256).
 */
export type SignMechanism = 'sha256-rsa-pkcs' | 'rsa-pkcs' | 'ecdsa';

/** What `signOnSession` needs to know about the key. */
export interface SignParams {
  key: Buffer;
  mechanism: SignMechanism;
  /** Key size in bits: sizes the output buffer (modulus bytes for RSA, 2 x field bytes for ECDSA). */
  bits: number;
}

/** Signs `data` with SHA-256 on `session`; RSA PKCS#1 v1.5 bytes, or a DER Ecdsa-Sig-Value for ECDSA. */
export async function signOnSession(p11: PKCS11, session: Buffer, params: SignParams, data: Buffer): Promise<Buffer> {
  const bytes = Math.ceil(params.bits / 8);
  switch (params.mechanism) {
    case 'sha256-rsa-pkcs':
      p11.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, params.key);
      return await p11.C_SignAsync(session, data, Buffer.alloc(bytes));
    case 'rsa-pkcs':
      p11.C_SignInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, params.key);
      return await p11.C_SignAsync(session, sha256DigestInfo(data), Buffer.alloc(bytes));
    case 'ecdsa': {
      const hash = createHash('sha256').update(data).digest();
      p11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, params.key);
      return ecdsaRawToDer(await p11.C_SignAsync(session, hash, Buffer.alloc(2 * bytes)));
    }
  }
}
