/**
 * The `SigningKey` of an internal-CA certificate whose key is stored in software: the sealed PKCS#8 is
 * opened with the master key and parsed once; the plaintext copy is wiped right after. The chain is the
 * root, so verifiers that trust the root can build the path from the signature alone.
 */
import { AppError, ErrorCode } from '../../errors.js';
import type { MasterKey } from '../master-key.js';
import type { SigningKey } from '../signing-key.js';
import { loadPemKey } from '../software-key.js';
import { pkcs8ToPem, toPem } from './ca-key-types.js';
import { type CaRootRecord, type IssuedRecord, issuedKeyContext } from './ca-store.js';

/**
 * Opens the software key of an issued certificate.
 * @throws AppError CERT_KEY_MISSING (no key record, or the key is on a token), MASTER_KEY_INVALID.
 */
export function openInternalSigningKey(record: IssuedRecord, root: CaRootRecord, masterKey: MasterKey): SigningKey {
  if (record.key?.kind !== 'software') {
    const where = record.key ? `on token "${record.key.tokenLabel}" (CKA_ID ${record.key.ckaId})` : 'nowhere';
    throw new AppError(
      ErrorCode.CERT_KEY_MISSING,
      `The internal CA holds no software key for certificate ${record.id} (its key is ${where})`,
    );
  }
  const pkcs8 = masterKey.open(record.key.sealed, issuedKeyContext(record.id));
  try {
    return loadPemKey(
      pkcs8ToPem(pkcs8),
      toPem(record.certificate, 'CERTIFICATE'),
      toPem(root.certificate, 'CERTIFICATE'),
    );
  } finally {
    pkcs8.fill(0);
  }
}
