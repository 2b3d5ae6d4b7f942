/** Loading the internal CA's root for issuing and CRL signing. */

import type { X509Certificate } from '@peculiar/x509';
import { AppError, ErrorCode } from '../../errors.js';
import type { MasterKey } from '../master-key.js';
import { importSigningKey } from './ca-key-types.js';
import { type CaRootRecord, type CaStore, ROOT_KEY_CONTEXT } from './ca-store.js';
import { loadX509 } from './x509-library.js';

/**
 * The stored root.
 * @throws AppError CA_NOT_INITIALIZED when there is none.
 */
export async function requireRoot(store: CaStore): Promise<CaRootRecord> {
  const root = await store.loadRoot();
  if (!root) {
    throw new AppError(
      ErrorCode.CA_NOT_INITIALIZED,
      `The internal CA in ${store.location} has no root yet; create it with \`signservice ca init\``,
    );
  }
  return root;
}

/** The root as an issuer: its parsed certificate, its signing key (opened with the master key), its SKI. */
export interface RootSigner {
  record: CaRootRecord;
  certificate: X509Certificate;
  key: CryptoKey;
  /** Hex key identifier of the root's subjectKeyIdentifier, reused as authorityKeyIdentifier [RFC 5280 §4.2.1.1]. */
  keyIdentifier: string;
}

/**
 * Opens the root's key with the master key.
 * @throws AppError CA_NOT_INITIALIZED, MASTER_KEY_INVALID (wrong master key).
 */
export async function openRootSigner(store: CaStore, masterKey: MasterKey): Promise<RootSigner> {
  const record = await requireRoot(store);
  const x509 = await loadX509();
  const certificate = new x509.X509Certificate(new Uint8Array(record.certificate));
  const pkcs8 = masterKey.open(record.key, ROOT_KEY_CONTEXT);
  try {
    const key = await importSigningKey(pkcs8, record.keyType);
    const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
    if (!ski) throw new AppError(ErrorCode.KEY_INVALID, 'The internal CA root has no subjectKeyIdentifier');
    return { record, certificate, key, keyIdentifier: ski.keyId };
  } finally {
    pkcs8.fill(0);
  }
}
