/**
 * The service key that signs sign log checkpoints: an ECDSA P-256 key [FIPS 186-5] made on first use, its
 * PKCS#8 sealed under the master key and kept in the store (so activity and workers on different machines
 * share it), with a self-signed certificate "CN=SignService sign-log" that verifiers use as the public
 * anchor (it never expires: notAfter 99991231235959Z, RFC 5280 §4.1.2.5). Opening the stored key checks that
 * the certificate beside it belongs to it, so a certificate swapped in the store is caught.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { generateCaKeyPair, signingAlgorithm } from '../crypto/internal-ca/ca-key-types.js';
import { randomSerialNumber } from '../crypto/internal-ca/ca-serial.js';
import { BACKDATE_MS } from '../crypto/internal-ca/create-root.js';
import { loadX509 } from '../crypto/internal-ca/x509-library.js';
import type { MasterKey } from '../crypto/master-key.js';
import type { StoredServiceKey } from '../domain/sign-log-checkpoint.js';
import { AppError, ErrorCode } from '../errors.js';
import type { ServiceKeyRepository } from '../store/store-ports.js';

/** GCM additional data of the sealed key: it opens only as this record. */
export const SERVICE_KEY_CONTEXT = 'signservice/sign-log/service-key/v1';

/** Subject of the service certificate. */
export const SERVICE_KEY_SUBJECT = 'CN=SignService sign-log';

/** "No well-defined expiration date" [RFC 5280 §4.1.2.5]. */
const NO_EXPIRY = new Date('9999-12-31T23:59:59Z');

/** The opened service key. */
export interface ServiceKey {
  privateKey: KeyObject;
  certificate: X509Certificate;
  /** hex SHA-256 of the certificate's DER: names the key in checkpoints and reports. */
  certificateSha256: string;
}

/** hex SHA-256 of a DER certificate. */
export function certificateSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** A broken-log error about the stored service key. */
function keyBroken(reason: string): AppError {
  return new AppError(
    ErrorCode.SIGN_LOG_BROKEN,
    `the sign log's service key in the store ${reason}: it was altered outside SignService`,
  );
}

/**
 * Opens the stored service key with the master key and checks its certificate.
 * @throws AppError MASTER_KEY_INVALID when another master key sealed it, SIGN_LOG_BROKEN when the sealed key
 *   does not authenticate or the certificate does not belong to it.
 */
export function openServiceKey(stored: StoredServiceKey, masterKey: MasterKey): ServiceKey {
  if (stored.sealedKey?.keyId !== masterKey.keyId) {
    // Not tampering (or not only): the operator configured another master key. masterKey.open says so.
    masterKey.open(stored.sealedKey, SERVICE_KEY_CONTEXT);
  }
  let pkcs8: Buffer;
  try {
    pkcs8 = masterKey.open(stored.sealedKey, SERVICE_KEY_CONTEXT);
  } catch {
    throw keyBroken('does not open with the master key it names');
  }
  let privateKey: KeyObject;
  let certificate: X509Certificate;
  try {
    privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    certificate = new X509Certificate(stored.certificate);
  } catch {
    throw keyBroken('cannot be read');
  } finally {
    pkcs8.fill(0);
  }
  if (!spki(createPublicKey(privateKey)).equals(spki(certificate.publicKey))) {
    throw keyBroken('has a certificate that does not belong to it');
  }
  return { privateKey, certificate, certificateSha256: certificateSha256(stored.certificate) };
}

/** A new key and its self-signed certificate, sealed for the store. */
async function makeServiceKey(masterKey: MasterKey, now: Date): Promise<StoredServiceKey> {
  const x509 = await loadX509();
  const { keys, pkcs8 } = await generateCaKeyPair('ec-p256');
  try {
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerialNumber(),
      name: new x509.Name(SERVICE_KEY_SUBJECT),
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: NO_EXPIRY,
      keys,
      signingAlgorithm: signingAlgorithm('ec-p256'),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return {
      certificate: Buffer.from(certificate.rawData),
      sealedKey: masterKey.seal(pkcs8, SERVICE_KEY_CONTEXT),
      createdAt: now,
    };
  } finally {
    pkcs8.fill(0);
  }
}

/**
 * The service key, made and stored on first use. Of processes doing this at once, the store keeps one key
 * and everybody opens that one.
 */
export async function ensureServiceKey(
  keys: ServiceKeyRepository,
  masterKey: MasterKey,
  now: Date = new Date(),
): Promise<{ key: ServiceKey; created: boolean }> {
  const existing = await keys.get();
  if (existing) return { key: openServiceKey(existing, masterKey), created: false };
  const made = await makeServiceKey(masterKey, now);
  const stored = await keys.create(made);
  return { key: openServiceKey(stored, masterKey), created: stored.certificate.equals(made.certificate) };
}
