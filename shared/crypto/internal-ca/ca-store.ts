/**
 * The internal CA's storage port: the root, the certificates it issued with their (sealed) keys, the
 * revocations, the CRL number and the current CRL. The CLI uses the file adapter (`file-ca-store.ts`)
 * under a data directory; the service store implements the same interface, so the CA code does not change
 * when the records move there. Records hold bytes and values only; private keys are always sealed.
 */
import type { SealedSecret } from '../master-key.js';
import type { CaKeyType, RootKeyType } from './ca-key-types.js';

/** The CA root: certificate, sealed PKCS#8 key, and the settings issuing needs. */
export interface CaRootRecord {
  /** DER of the self-signed root certificate. */
  certificate: Buffer;
  keyType: RootKeyType;
  /** The root's PKCS#8 private key, sealed under the master key (context `ROOT_KEY_CONTEXT`). */
  key: SealedSecret;
  /**
   * Base URL under which the service publishes the root and the CRL (`<base>/ca/root.crt`,
   * `<base>/ca/root.crl`); written into the CRL distribution point and AIA of issued certificates.
   */
  publicBaseUrl: string;
  /** ISO date of creation. */
  createdAt: string;
}

/** Where the private key of an issued certificate lives. */
export type IssuedKey =
  /** Generated in software, PKCS#8 sealed under the master key (context `issuedKeyContext(id)`). */
  | { kind: 'software'; sealed: SealedSecret }
  /** Generated on a PKCS#11 token, found again by module, token label/serial and CKA_ID. */
  | { kind: 'token'; modulePath: string; tokenLabel: string; tokenSerial: string; ckaId: string };

/** A certificate issued by the internal CA. */
export interface IssuedRecord {
  /** SHA-256 of the certificate DER, lower-case hex: the inventory id. */
  id: string;
  /** Serial number, upper-case hex as `describeCertificate` prints it. */
  serialNumber: string;
  /** DER of the certificate. */
  certificate: Buffer;
  keyType: CaKeyType;
  /** `undefined` when the key record was lost (the inventory then says "key missing"). */
  key: IssuedKey | undefined;
  issuedAt: string;
}

/**
 * The delegated OCSP responder: a certificate the root issued with id-kp-OCSPSigning and ocsp-nocheck
 * [RFC 6960 §4.2.2.2], short-lived and renewed by the service, its key sealed like the CA's others.
 */
export interface OcspSignerRecord {
  certificate: Buffer;
  keyType: CaKeyType;
  /** PKCS#8, sealed under the master key (context `OCSP_KEY_CONTEXT`). */
  key: SealedSecret;
  createdAt: string;
}

/** CRL reason codes we offer [RFC 5280 §5.3.1]. */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** One revocation. */
export interface RevocationRecord {
  /** Inventory id (SHA-256 hex) of the revoked certificate. */
  id: string;
  /** Its serial number, upper-case hex. */
  serialNumber: string;
  revokedAt: string;
  reason: RevocationReason;
}

/** Storage of one internal CA. Writes are atomic per call; every method may throw AppError FILE_IO. */
export interface CaStore {
  /** Where the data lives, for messages (a directory, a database name). */
  readonly location: string;
  loadRoot(): Promise<CaRootRecord | undefined>;
  /** Saves the root; fails with CA_ALREADY_INITIALIZED when one exists. */
  createRoot(root: CaRootRecord): Promise<void>;
  listIssued(): Promise<IssuedRecord[]>;
  saveIssued(record: IssuedRecord): Promise<void>;
  listRevocations(): Promise<RevocationRecord[]>;
  addRevocation(record: RevocationRecord): Promise<void>;
  /** Increments and returns the CRL number: monotonically increasing per CA [RFC 5280 §5.2.3]. */
  nextCrlNumber(): Promise<bigint>;
  saveCrl(der: Buffer): Promise<void>;
  loadCrl(): Promise<Buffer | undefined>;
  loadOcspSigner(): Promise<OcspSignerRecord | undefined>;
  /** Replaces the OCSP responder certificate and key (renewal). */
  saveOcspSigner(record: OcspSignerRecord): Promise<void>;
}

/** GCM additional data of the root key envelope. */
export const ROOT_KEY_CONTEXT = 'signservice/internal-ca/root-key';

/** GCM additional data of the OCSP responder key's envelope. */
export const OCSP_KEY_CONTEXT = 'signservice/internal-ca/ocsp-key';

/** GCM additional data of an issued key's envelope: bound to the certificate it belongs to. */
export function issuedKeyContext(id: string): string {
  return `signservice/internal-ca/issued-key/${id}`;
}
