/**
 * Issuing a user certificate from the internal CA: CN = the person, O = the company, the e-mail in the
 * subject and in subjectAltName; key usage digitalSignature + nonRepudiation [RFC 5280 §4.2.1.3]; EKU
 * emailProtection and Microsoft Document Signing (1.3.6.1.4.1.311.10.3.12), which Adobe Reader accepts
 * for document signatures; CRL distribution point and AIA caIssuers + OCSP under the public base URL
 * (poppler/NSS report such a chain as trusted only with both; B-LT fetches revocation data there). The key is generated in software and sealed under the
 * master key, or generated on a token by the caller (`ExternalKeyPair`).
 */
import { createHash } from 'node:crypto';
import type { Extension } from '@peculiar/x509';
import { AppError, ErrorCode } from '../../errors.js';
import { describeCertificate } from '../certificate-info.js';
import type { MasterKey } from '../master-key.js';
import { type CaKeyType, generateCaKeyPair, importPublicKey, signingAlgorithm } from './ca-key-types.js';
import { openRootSigner, type RootSigner } from './ca-root.js';
import { randomSerialNumber } from './ca-serial.js';
import { type CaStore, type IssuedKey, type IssuedRecord, issuedKeyContext } from './ca-store.js';
import { type CaSubject, checkSubject, subjectName } from './ca-subject.js';
import { caPublicUrls } from './ca-urls.js';
import { BACKDATE_MS } from './create-root.js';
import { loadX509 } from './x509-library.js';

/** Microsoft Document Signing EKU (szOID_KP_DOCUMENT_SIGNING). */
export const DOCUMENT_SIGNING_EKU = '1.3.6.1.4.1.311.10.3.12';
/** id-kp-emailProtection [RFC 5280 §4.2.1.12]. */
export const EMAIL_PROTECTION_EKU = '1.3.6.1.5.5.7.3.4';

/** A key pair generated outside the CA (on a token); the CA only certifies its public key. */
export interface ExternalKeyPair {
  keyType: CaKeyType;
  /** DER SubjectPublicKeyInfo of the key. */
  spki: Buffer;
  location: Extract<IssuedKey, { kind: 'token' }>;
  /** Stores the issued certificate next to the key (a certificate object with the same CKA_ID). */
  storeCertificate(der: Buffer): Promise<void>;
  /** Removes the key again when issuing fails. */
  discard(): Promise<void>;
}

/** What `issueCertificate` needs. */
export interface IssueCertificateOptions {
  store: CaStore;
  masterKey: MasterKey;
  subject: CaSubject;
  /** Software key type; ignored with `keyPair`. @default 'rsa2048' */
  keyType?: CaKeyType;
  /** @default 365 */
  validityDays?: number;
  /** A key generated elsewhere (on a token); without it the key is generated in software and sealed. */
  keyPair?: ExternalKeyPair;
  /** @default now */
  now?: Date;
}

/**
 * Issues a certificate and stores its record (with the sealed key, or the token location).
 * @throws AppError CA_NOT_INITIALIZED, MASTER_KEY_INVALID, INVALID_ARGUMENT (subject, validity).
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedRecord> {
  const subject = checkSubject(options.subject);
  const days = options.validityDays ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `The validity must be 1 to 3650 days, not ${days}`);
  }
  const root = await openRootSigner(options.store, options.masterKey);
  const now = options.now ?? new Date();
  const external = options.keyPair;
  const keyType = external?.keyType ?? options.keyType ?? 'rsa2048';
  const software = external ? undefined : await generateCaKeyPair(keyType);
  try {
    const publicKey = software ? software.keys.publicKey : await importPublicKey(external!.spki, keyType);
    const der = await buildCertificate(root, subject, publicKey, validity(root, now, days));
    const id = createHash('sha256').update(der).digest('hex');
    const key: IssuedKey = software
      ? { kind: 'software', sealed: options.masterKey.seal(software.pkcs8, issuedKeyContext(id)) }
      : external!.location;
    const { serialNumber } = describeCertificate(der);
    const record: IssuedRecord = { id, serialNumber, certificate: der, keyType, key, issuedAt: now.toISOString() };
    if (external) await external.storeCertificate(der);
    await options.store.saveIssued(record);
    return record;
  } catch (error) {
    if (external) await external.discard().catch(() => undefined);
    throw error;
  } finally {
    software?.pkcs8.fill(0);
  }
}

/** Starts a few minutes back (not before the root) and ends after `days` (not after the root). */
function validity(root: RootSigner, now: Date, days: number): { notBefore: Date; notAfter: Date } {
  const rootStart = root.certificate.notBefore.getTime();
  const rootEnd = root.certificate.notAfter.getTime();
  const notBefore = new Date(Math.max(now.getTime() - BACKDATE_MS, rootStart));
  const notAfter = new Date(Math.min(now.getTime() + days * 86_400_000, rootEnd));
  if (notAfter.getTime() <= now.getTime()) {
    throw new AppError(ErrorCode.CERT_EXPIRED, 'The internal CA root has expired; it cannot issue certificates');
  }
  return { notBefore, notAfter };
}

async function buildCertificate(
  root: RootSigner,
  subject: CaSubject,
  publicKey: CryptoKey,
  dates: { notBefore: Date; notAfter: Date },
): Promise<Buffer> {
  const x509 = await loadX509();
  const urls = caPublicUrls(root.record.publicBaseUrl);
  const extensions: Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
    new x509.ExtendedKeyUsageExtension([EMAIL_PROTECTION_EKU, DOCUMENT_SIGNING_EKU], false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    new x509.AuthorityKeyIdentifierExtension(root.keyIdentifier),
    new x509.CRLDistributionPointsExtension([urls.crl]),
    new x509.AuthorityInfoAccessExtension({ caIssuers: urls.rootCertificate, ocsp: urls.ocsp }),
  ];
  if (subject.email)
    extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'email', value: subject.email }]));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: new x509.Name(subjectName(subject)),
    issuer: root.certificate.subjectName,
    ...dates,
    publicKey,
    signingKey: root.key,
    signingAlgorithm: signingAlgorithm(root.record.keyType),
    extensions,
  });
  return Buffer.from(certificate.rawData);
}
