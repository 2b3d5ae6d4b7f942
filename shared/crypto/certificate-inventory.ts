/**
 * The certificate inventory: one list across PKCS#11 tokens and the internal CA. Each certificate
 * appears once, under a stable id (SHA-256 of its DER), with where its key is and a status an operator
 * can act on. A certificate the internal CA issued onto a token is one entry: on the token, internal use.
 * Building the list is pure: callers read the tokens and the CA store and pass what they found.
 */
import { AppError, ErrorCode } from '../errors.js';
import { describeCertificate } from './certificate-info.js';
import type { CaRootRecord, IssuedRecord, RevocationRecord } from './internal-ca/ca-store.js';
import type { TokenListing } from './token-snapshot.js';

/** Status values, most serious first when several apply. */
export const INVENTORY_STATUSES = [
  'revoked',
  'expired',
  'not-yet-valid',
  'token-absent',
  'key-missing',
  'valid',
] as const;
export type InventoryStatus = (typeof INVENTORY_STATUSES)[number];

/** Where the private key of an entry lives. */
export type KeyLocation =
  /** On a PKCS#11 token, paired with the certificate by CKA_ID. */
  | { kind: 'token'; modulePath: string; tokenLabel: string; tokenSerial: string; ckaId: string; objectLabel?: string }
  /** In the internal CA's store, sealed under the master key with this id. */
  | { kind: 'internal'; masterKeyId: string }
  /** Nowhere we know of (an internal-CA record whose key record is gone). */
  | { kind: 'none' };

/** One certificate of the inventory. */
export interface InventoryEntry {
  /** SHA-256 of the certificate DER, lower-case hex. */
  id: string;
  subject: string;
  issuer: string;
  /** Upper-case hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** e.g. `RSA 2048`, `EC P-256`. */
  keyType: string;
  location: KeyLocation;
  status: InventoryStatus;
  /** Issued by the company's internal CA: marked "internal use" here and on the stamp. */
  internalUse: boolean;
  /** DER of the certificate. */
  certificate: Buffer;
}

/** The internal CA's records, as the inventory needs them. */
export interface InventoryCaRecords {
  root: CaRootRecord;
  issued: readonly IssuedRecord[];
  revocations: readonly RevocationRecord[];
}

/** The inventory and what could not be included. */
export interface Inventory {
  entries: InventoryEntry[];
  /** One line per certificate that could not be read. */
  problems: string[];
}

interface Draft {
  der: Buffer;
  location: KeyLocation;
  keyPresent: boolean;
  tokenPresent: boolean;
  internalUse: boolean;
}

/** Merges token listings and internal-CA records into one list (token entries first, then by subject). */
export function buildInventory(input: {
  tokens?: readonly TokenListing[];
  ca?: InventoryCaRecords;
  now?: Date;
}): Inventory {
  const drafts = new Map<string, Draft>();
  const problems: string[] = [];
  for (const listing of input.tokens ?? []) {
    for (const c of listing.certificates) {
      const { modulePath, tokenLabel, tokenSerial } = listing;
      const location: KeyLocation = {
        kind: 'token',
        modulePath,
        tokenLabel,
        tokenSerial,
        ckaId: c.ckaId,
        objectLabel: c.label,
      };
      const draft = {
        der: c.certificate,
        location,
        keyPresent: c.hasPrivateKey,
        tokenPresent: listing.present,
        internalUse: false,
      };
      drafts.set(fingerprint(c.certificate), draft);
    }
  }
  for (const record of input.ca?.issued ?? []) {
    const known = drafts.get(record.id);
    if (known) known.internalUse = true;
    else drafts.set(record.id, internalDraft(record));
  }
  const revoked = new Set(input.ca?.revocations.map((r) => r.id));
  const now = input.now ?? new Date();
  const entries: InventoryEntry[] = [];
  for (const [id, draft] of drafts) {
    try {
      entries.push(toEntry(id, draft, revoked.has(id), now));
    } catch (error) {
      const where =
        draft.location.kind === 'token'
          ? `token "${draft.location.tokenLabel}" CKA_ID ${draft.location.ckaId}`
          : 'the internal CA';
      problems.push(`a certificate on ${where} cannot be read: ${(error as Error).message}`);
    }
  }
  const rank: Record<KeyLocation['kind'], number> = { token: 0, internal: 1, none: 2 };
  entries.sort((a, b) => rank[a.location.kind] - rank[b.location.kind] || a.subject.localeCompare(b.subject));
  return { entries, problems };
}

function internalDraft(record: IssuedRecord): Draft {
  const key = record.key;
  const location: KeyLocation =
    key === undefined
      ? { kind: 'none' }
      : key.kind === 'software'
        ? { kind: 'internal', masterKeyId: key.sealed.keyId }
        : {
            kind: 'token',
            modulePath: key.modulePath,
            tokenLabel: key.tokenLabel,
            tokenSerial: key.tokenSerial,
            ckaId: key.ckaId,
          };
  // A token that was not listed in this run is not known to be absent; its key is assumed where recorded.
  return { der: record.certificate, location, keyPresent: key !== undefined, tokenPresent: true, internalUse: true };
}

function toEntry(id: string, draft: Draft, revoked: boolean, now: Date): InventoryEntry {
  const info = describeCertificate(draft.der);
  const status: InventoryStatus = revoked
    ? 'revoked'
    : now.getTime() > info.notAfter.getTime()
      ? 'expired'
      : now.getTime() < info.notBefore.getTime()
        ? 'not-yet-valid'
        : !draft.tokenPresent
          ? 'token-absent'
          : !draft.keyPresent
            ? 'key-missing'
            : 'valid';
  return {
    id,
    subject: info.subject,
    issuer: info.issuer,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    keyType: info.publicKeyDescription,
    location: draft.location,
    status,
    internalUse: draft.internalUse,
    certificate: draft.der,
  };
}

function fingerprint(der: Buffer): string {
  try {
    return describeCertificate(der).fingerprintSha256.toLowerCase();
  } catch {
    // unreadable: keep it under a placeholder id so that toEntry reports it as a problem
    return `unreadable-${der.length}-${der.subarray(0, 16).toString('hex')}`;
  }
}

/**
 * The entry with this id, or the one whose id starts with `ref` (at least 8 hex digits).
 * @throws AppError CERT_UNKNOWN, INVALID_ARGUMENT (malformed or ambiguous).
 */
export function findInventoryEntry<E extends Pick<InventoryEntry, 'id'>>(entries: readonly E[], ref: string): E {
  const wanted = ref.trim().toLowerCase().replace(/:/g, '');
  if (!/^[0-9a-f]{8,64}$/.test(wanted)) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `A certificate id is 8 to 64 hex digits (see \`signservice cert list\`), not "${ref}"`,
    );
  }
  const matches = entries.filter((e) => e.id.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `The certificate id ${ref} matches ${matches.length} certificates; give more digits`,
    );
  }
  throw new AppError(
    ErrorCode.CERT_UNKNOWN,
    `No certificate with id ${ref} in the inventory (internal CA and configured token); see \`signservice cert list\``,
  );
}

/**
 * Refuses entries that must not sign, each with its own error code.
 * @throws AppError CERT_REVOKED, CERT_EXPIRED, CERT_NOT_YET_VALID, TOKEN_ABSENT, TOKEN_KEY_MISSING, CERT_KEY_MISSING.
 */
export function assertUsableForSigning(entry: InventoryEntry): void {
  const name = `The certificate "${entry.subject}" (id ${entry.id.slice(0, 16)}…)`;
  const where = entry.location.kind === 'token' ? `token "${entry.location.tokenLabel}"` : 'the internal CA store';
  const refusals: Record<Exclude<InventoryStatus, 'valid'>, [ErrorCode, string]> = {
    revoked: [ErrorCode.CERT_REVOKED, `${name} is revoked; it cannot sign`],
    expired: [ErrorCode.CERT_EXPIRED, `${name} expired on ${entry.notAfter.toISOString()}`],
    'not-yet-valid': [ErrorCode.CERT_NOT_YET_VALID, `${name} is not valid before ${entry.notBefore.toISOString()}`],
    'token-absent': [ErrorCode.TOKEN_ABSENT, `${name} is on ${where}, which is not present; plug it in`],
    'key-missing':
      entry.location.kind === 'token'
        ? [
            ErrorCode.TOKEN_KEY_MISSING,
            `${name} has no private key on ${where} (CKA_ID ${entry.location.ckaId}); it cannot sign`,
          ]
        : [ErrorCode.CERT_KEY_MISSING, `${name} has no private key in ${where}; it cannot sign`],
  };
  if (entry.status !== 'valid') {
    const [code, message] = refusals[entry.status];
    throw new AppError(code, message, { details: { id: entry.id, status: entry.status } });
  }
}
