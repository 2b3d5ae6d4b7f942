/**
 * What was on a token the last time it was listed. The inventory keeps this so that a token that is
 * unplugged still shows its certificates, marked "token absent", instead of silently dropping them.
 */
import type { Pkcs11Token } from './pkcs11/pkcs11-token.js';

/** One certificate object as listed from a token. */
export interface TokenSnapshotCertificate {
  /** CKA_ID, lower-case hex. */
  ckaId: string;
  /** CKA_LABEL. */
  label: string;
  /** DER of the certificate. */
  certificate: Buffer;
  /** Whether a private key with the same CKA_ID was seen (while logged in). */
  hasPrivateKey: boolean;
}

/** The certificates of one token at one moment. */
export interface TokenSnapshot {
  modulePath: string;
  tokenLabel: string;
  tokenSerial: string;
  /** ISO time of the listing. */
  takenAt: string;
  certificates: TokenSnapshotCertificate[];
}

/** A token as the inventory sees it: listed now (`present`) or remembered from a snapshot. */
export interface TokenListing extends TokenSnapshot {
  present: boolean;
}

/** Storage of the last snapshot per token (module path + label + serial). */
export interface TokenSnapshotStore {
  list(): Promise<TokenSnapshot[]>;
  /** Replaces the snapshot of the same token. */
  save(snapshot: TokenSnapshot): Promise<void>;
}

/**
 * The remembered snapshot of the token named by `token` in module `modulePath` (label and/or serial
 * must match), or undefined.
 */
export function findSnapshot(
  snapshots: readonly TokenSnapshot[],
  modulePath: string,
  token: { label?: string; serial?: string },
): TokenSnapshot | undefined {
  const label = token.label?.trim();
  const serial = token.serial?.trim();
  return snapshots
    .filter(
      (s) =>
        s.modulePath === modulePath &&
        (label === undefined || s.tokenLabel === label) &&
        (serial === undefined || s.tokenSerial === serial),
    )
    .sort((a, b) => b.takenAt.localeCompare(a.takenAt))[0];
}

/**
 * Lists a token now (logging in, so private keys are seen) as a present `TokenListing`.
 * @throws AppError TOKEN_* from the token.
 */
export function readTokenListing(token: Pkcs11Token, modulePath: string, now: Date = new Date()): TokenListing {
  const certificates = token.listCertificates().map((c) => ({
    ckaId: c.id,
    label: c.label,
    certificate: c.certificate,
    hasPrivateKey: c.hasPrivateKey,
  }));
  const health = token.health();
  return {
    present: true,
    modulePath,
    tokenLabel: health.label,
    tokenSerial: health.serial,
    takenAt: now.toISOString(),
    certificates,
  };
}
