/**
 * Creating the internal CA: a self-signed root [RFC 5280 §4.2.1.9, §4.2.1.3] whose key is generated in
 * software and sealed under the master key at once. The root issues end-entity certificates directly
 * (pathLenConstraint 0), which keeps the chain a signer embeds to two certificates.
 */
import { AppError, ErrorCode } from '../../errors.js';
import type { MasterKey } from '../master-key.js';
import { generateCaKeyPair, ROOT_KEY_TYPES, type RootKeyType, signingAlgorithm } from './ca-key-types.js';
import { randomSerialNumber } from './ca-serial.js';
import { type CaRootRecord, type CaStore, ROOT_KEY_CONTEXT } from './ca-store.js';
import { type CaSubject, checkSubject, subjectName } from './ca-subject.js';
import { DEFAULT_PUBLIC_BASE_URL, normalizePublicBaseUrl } from './ca-urls.js';
import { loadX509 } from './x509-library.js';

/** What `createRoot` needs. */
export interface CreateRootOptions {
  store: CaStore;
  masterKey: MasterKey;
  subject: CaSubject;
  /** @default 'rsa3072' */
  keyType?: RootKeyType;
  /** @default 10 */
  validityYears?: number;
  /** Base URL the service publishes the root and CRL under. @default DEFAULT_PUBLIC_BASE_URL */
  publicBaseUrl?: string;
  /** @default now */
  now?: Date;
}

/** Tolerance for clocks that run behind ours: certificates start a few minutes in the past. */
export const BACKDATE_MS = 5 * 60_000;

/**
 * Creates and stores the root.
 * @throws AppError CA_ALREADY_INITIALIZED (a root exists), INVALID_ARGUMENT (subject, validity, URL).
 */
export async function createRoot(options: CreateRootOptions): Promise<CaRootRecord> {
  const keyType = options.keyType ?? 'rsa3072';
  if (!ROOT_KEY_TYPES.includes(keyType)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `The root key type must be one of ${ROOT_KEY_TYPES.join(', ')}`);
  }
  const years = options.validityYears ?? 10;
  if (!Number.isInteger(years) || years < 1 || years > 30) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `The root validity must be 1 to 30 years, not ${years}`);
  }
  const subject = checkSubject(options.subject);
  const publicBaseUrl = normalizePublicBaseUrl(options.publicBaseUrl ?? DEFAULT_PUBLIC_BASE_URL);
  if (await options.store.loadRoot()) {
    throw new AppError(
      ErrorCode.CA_ALREADY_INITIALIZED,
      `The internal CA in ${options.store.location} already has a root`,
    );
  }
  const now = options.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  const x509 = await loadX509();
  const { keys, pkcs8 } = await generateCaKeyPair(keyType);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: new x509.Name(subjectName(subject)),
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    keys,
    signingAlgorithm: signingAlgorithm(keyType),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const record: CaRootRecord = {
    certificate: Buffer.from(certificate.rawData),
    keyType,
    key: options.masterKey.seal(pkcs8, ROOT_KEY_CONTEXT),
    publicBaseUrl,
    createdAt: now.toISOString(),
  };
  pkcs8.fill(0);
  await options.store.createRoot(record);
  return record;
}
