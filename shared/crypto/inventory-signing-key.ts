/**
 * From an inventory entry to a `SigningKey`: refuse what must not sign (revoked, expired, key missing,
 * token absent), then open the key where it lives — the internal CA's sealed key with the master key, or
 * the token through the caller's `openTokenKey` (which knows the PIN). Internal-CA certificates carry the
 * root as their chain and sign with the "internal use" stamp.
 */
import { AppError, ErrorCode } from '../errors.js';
import { assertUsableForSigning, type InventoryEntry } from './certificate-inventory.js';
import type { CaRootRecord, IssuedRecord } from './internal-ca/ca-store.js';
import { openInternalSigningKey } from './internal-ca/internal-signing-key.js';
import type { MasterKey } from './master-key.js';
import type { SigningKey } from './signing-key.js';

/** What resolving an entry may need; each dependency is only called when the entry needs it. */
export interface InventoryKeyDeps {
  /** The internal CA's root and issued records (for internal entries). */
  ca?: { root: CaRootRecord; issued: readonly IssuedRecord[] };
  /** The master key (opened only for internal software keys). */
  masterKey: () => MasterKey;
  /** Opens the key with CKA_ID on the token of `location`, embedding `chain`. */
  openTokenKey: (
    location: Extract<InventoryEntry['location'], { kind: 'token' }>,
    chain: Buffer[],
  ) => Promise<SigningKey>;
}

/** A key ready for `signPdfFile`, and whether its stamp says "internal use". */
export interface ResolvedSigningKey {
  key: SigningKey;
  internalUse: boolean;
}

/**
 * Opens the signing key of an inventory entry.
 * @throws AppError CERT_REVOKED, CERT_EXPIRED, CERT_NOT_YET_VALID, TOKEN_ABSENT, TOKEN_KEY_MISSING,
 *   CERT_KEY_MISSING, MASTER_KEY_INVALID, and the token's errors (PIN, module).
 */
export async function openInventorySigningKey(
  entry: InventoryEntry,
  deps: InventoryKeyDeps,
): Promise<ResolvedSigningKey> {
  assertUsableForSigning(entry);
  const chain = entry.internalUse && deps.ca ? [deps.ca.root.certificate] : [];
  if (entry.location.kind === 'token') {
    const key = await deps.openTokenKey(entry.location, chain);
    if (!key.certificate.equals(entry.certificate)) {
      throw new AppError(
        ErrorCode.KEY_INVALID,
        `The certificate with CKA_ID ${entry.location.ckaId} on token "${entry.location.tokenLabel}" is not the one with id ${entry.id}`,
      );
    }
    return { key, internalUse: entry.internalUse };
  }
  const record = deps.ca?.issued.find((r) => r.id === entry.id);
  if (!deps.ca || !record) {
    throw new AppError(ErrorCode.CERT_KEY_MISSING, `The internal CA has no record of certificate ${entry.id}`);
  }
  return { key: openInternalSigningKey(record, deps.ca.root, deps.masterKey()), internalUse: true };
}
