/**
 * Revoking a certificate of the internal CA: record the revocation, then reissue the CRL so that
 * verifiers that fetch it see the change. SignService itself refuses to sign with a revoked certificate.
 */
import { AppError, ErrorCode } from '../../errors.js';
import type { MasterKey } from '../master-key.js';
import { requireRoot } from './ca-root.js';
import {
  type CaStore,
  type IssuedRecord,
  REVOCATION_REASONS,
  type RevocationReason,
  type RevocationRecord,
} from './ca-store.js';
import { issueCrl } from './crl.js';

/** What `revokeCertificate` needs. */
export interface RevokeCertificateOptions {
  store: CaStore;
  masterKey: MasterKey;
  /** The certificate: its id (SHA-256 hex, or a unique prefix of 8+ digits) or its serial number (hex). */
  certificate: string;
  /** @default 'unspecified' */
  reason?: RevocationReason;
  /** @default now */
  now?: Date;
}

/**
 * Revokes an issued certificate and returns the revocation and the new CRL (DER).
 * @throws AppError CERT_UNKNOWN (not issued by this CA), CERT_REVOKED (already revoked), INVALID_ARGUMENT.
 */
export async function revokeCertificate(
  options: RevokeCertificateOptions,
): Promise<{ revocation: RevocationRecord; crl: Buffer; record: IssuedRecord }> {
  const reason = options.reason ?? 'unspecified';
  if (!REVOCATION_REASONS.includes(reason)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `The reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  }
  await requireRoot(options.store);
  const record = findIssued(await options.store.listIssued(), options.certificate, options.store.location);
  const existing = (await options.store.listRevocations()).find((r) => r.id === record.id);
  if (existing) {
    throw new AppError(
      ErrorCode.CERT_REVOKED,
      `The certificate ${record.id} (serial ${record.serialNumber}) was already revoked on ${existing.revokedAt}`,
    );
  }
  const revocation: RevocationRecord = {
    id: record.id,
    serialNumber: record.serialNumber,
    revokedAt: (options.now ?? new Date()).toISOString(),
    reason,
  };
  await options.store.addRevocation(revocation);
  const crl = await issueCrl({
    store: options.store,
    masterKey: options.masterKey,
    ...(options.now ? { now: options.now } : {}),
  });
  return { revocation, crl, record };
}

/**
 * The issued record named by `ref`: a full id, a unique id prefix of at least 8 hex digits, or a serial
 * number (hex, colons and leading zeros ignored).
 * @throws AppError CERT_UNKNOWN, INVALID_ARGUMENT (ambiguous prefix).
 */
export function findIssued(records: readonly IssuedRecord[], ref: string, where: string): IssuedRecord {
  const wanted = ref.trim().toLowerCase().replace(/:/g, '');
  if (!/^[0-9a-f]+$/.test(wanted)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `"${ref}" is neither a certificate id nor a serial number (hex)`);
  }
  const bySerial = records.filter((r) => r.serialNumber.toLowerCase().replace(/^0+/, '') === wanted.replace(/^0+/, ''));
  const byId = wanted.length >= 8 ? records.filter((r) => r.id.startsWith(wanted)) : [];
  const matches = [...new Set([...byId, ...bySerial])];
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new AppError(
      ErrorCode.CERT_UNKNOWN,
      `The internal CA in ${where} issued no certificate with id or serial ${ref}`,
    );
  }
  throw new AppError(ErrorCode.INVALID_ARGUMENT, `"${ref}" matches ${matches.length} certificates; give the full id`);
}
