/**
 * The internal CA's CRL [RFC 5280 §5]: v2, signed by the root, listing every revocation with its reason
 * code (§5.3.1), with the CRL number (§5.2.3, monotonically increasing) and the authority key identifier
 * (§5.2.1, required of conforming CAs). Reissued on every revocation and on demand before nextUpdate.
 */
import { AppError, ErrorCode } from '../../errors.js';
import { integer } from '../der.js';
import type { MasterKey } from '../master-key.js';
import { signingAlgorithm } from './ca-key-types.js';
import { openRootSigner } from './ca-root.js';
import type { CaStore, RevocationReason } from './ca-store.js';
import { loadX509 } from './x509-library.js';

/** id-ce-cRLNumber [RFC 5280 §5.2.3]. */
const CRL_NUMBER_OID = '2.5.29.20';

/** What `issueCrl` needs. */
export interface IssueCrlOptions {
  store: CaStore;
  masterKey: MasterKey;
  /** @default now */
  now?: Date;
  /** Days until nextUpdate. @default 7 */
  validityDays?: number;
}

/** RFC 5280 §5.3.1 CRLReason values. */
export const REASON_CODES: Record<RevocationReason, number> = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
};

/**
 * Signs a new CRL with the next CRL number, stores it as the current one and returns its DER.
 * @throws AppError CA_NOT_INITIALIZED, MASTER_KEY_INVALID, INVALID_ARGUMENT (validity).
 */
export async function issueCrl(options: IssueCrlOptions): Promise<Buffer> {
  const days = options.validityDays ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `The CRL validity must be 1 to 366 days, not ${days}`);
  }
  const root = await openRootSigner(options.store, options.masterKey);
  const x509 = await loadX509();
  const revocations = await options.store.listRevocations();
  const now = options.now ?? new Date();
  const number = await options.store.nextCrlNumber();
  const crl = await x509.X509CrlGenerator.create({
    issuer: root.certificate.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + days * 86_400_000),
    signingKey: root.key,
    signingAlgorithm: signingAlgorithm(root.record.keyType),
    entries: revocations.map((r) => ({
      serialNumber: r.serialNumber,
      revocationDate: new Date(r.revokedAt),
      reason: REASON_CODES[r.reason],
    })),
    extensions: [
      new x509.Extension(CRL_NUMBER_OID, false, new Uint8Array(integer(number))),
      new x509.AuthorityKeyIdentifierExtension(root.keyIdentifier),
    ],
  });
  const der = Buffer.from(crl.rawData);
  await options.store.saveCrl(der);
  return der;
}
