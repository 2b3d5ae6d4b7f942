/**
 * From a certificate id to the key that signs with it, the way the service sees its certificates: the
 * internal CA's records in the data directory plus the tokens this process serves (listed now, or their
 * last snapshot when unplugged). The CLI's `request submit` also takes the snapshots of tokens it does not
 * serve, because it only needs to know where a key lives (its route), not to sign with it.
 */

import { loadCaRecords } from '../cli/inventory-loader.js';
import { buildInventory, findInventoryEntry, type InventoryEntry } from '../crypto/certificate-inventory.js';
import { openInventorySigningKey, type ResolvedSigningKey } from '../crypto/inventory-signing-key.js';
import type { MasterKey } from '../crypto/master-key.js';
import type { TokenListing, TokenSnapshotStore } from '../crypto/token-snapshot.js';
import { AppError, ErrorCode } from '../errors.js';
import type { ServedTokens } from './served-tokens.js';
import { routeOfEntry } from './sign-route.js';

/** A certificate of the inventory, where its key lives, and how to open that key. */
export interface FoundCertificate {
  entry: InventoryEntry;
  /** The queue route of its key (sign-route.ts). */
  route: string;
  /**
   * Opens the key, refusing what must not sign.
   * @throws AppError CERT_REVOKED, CERT_EXPIRED, CERT_NOT_YET_VALID, TOKEN_ABSENT, TOKEN_KEY_MISSING,
   *   CERT_KEY_MISSING, MASTER_KEY_INVALID and the token's errors.
   */
  openKey(): Promise<ResolvedSigningKey>;
}

/** Finds certificates by id. */
export interface CertificateKeySource {
  /**
   * The certificate with this id (or unique prefix of 8+ hex digits).
   * @throws AppError CERT_UNKNOWN, INVALID_ARGUMENT (malformed or ambiguous id), TOKEN_ABSENT (unknown while a
   *   served token that was never listed is unplugged: it may be there).
   */
  find(certId: string): Promise<FoundCertificate>;
}

export interface CertificateKeySourceDeps {
  /** The data directory holding the internal CA. */
  dataDir: string;
  tokens: ServedTokens;
  /** Opened only for internal-CA software keys. */
  masterKey: () => MasterKey;
  /** Also list the snapshots of tokens this process does not serve (the CLI). */
  otherTokens?: TokenSnapshotStore;
}

const sameToken = (a: TokenListing, b: TokenListing) =>
  a.modulePath === b.modulePath && a.tokenLabel === b.tokenLabel && a.tokenSerial === b.tokenSerial;

/** Creates the key source; every `find` reads the CA records and token listings afresh (revocations count at once). */
export function createCertificateKeySource(deps: CertificateKeySourceDeps): CertificateKeySource {
  const servedListings = async () => {
    const listings: TokenListing[] = [];
    let unknownAbsent = false;
    for (const token of deps.tokens.tokens) {
      const listing = await token.listing();
      if (listing) listings.push(listing);
      else unknownAbsent = true;
    }
    return { listings, unknownAbsent };
  };

  const openTokenKey = async (location: Extract<InventoryEntry['location'], { kind: 'token' }>, chain: Buffer[]) => {
    const token = deps.tokens.tokens.find(
      (t) => t.modulePath === location.modulePath && t.label === location.tokenLabel,
    );
    if (!token) {
      throw new AppError(
        ErrorCode.TOKEN_ABSENT,
        `This process does not serve token "${location.tokenLabel}"; its jobs belong to the worker that holds it`,
      );
    }
    return (await token.open()).signingKey(location.ckaId, chain);
  };

  return {
    async find(certId) {
      const ca = await loadCaRecords(deps.dataDir);
      const { listings, unknownAbsent } = await servedListings();
      // Presence of a token we do not serve is the worker's to judge: list it as present.
      for (const snapshot of deps.otherTokens ? await deps.otherTokens.list() : []) {
        const listing = { ...snapshot, present: true };
        if (!listings.some((l) => sameToken(l, listing))) listings.push(listing);
      }
      const { entries } = buildInventory({ tokens: listings, ...(ca ? { ca } : {}) });
      let entry: InventoryEntry;
      try {
        entry = findInventoryEntry(entries, certId);
      } catch (error) {
        if (unknownAbsent && error instanceof AppError && error.code === ErrorCode.CERT_UNKNOWN) {
          throw new AppError(
            ErrorCode.TOKEN_ABSENT,
            `Certificate ${certId} is not known yet, and a configured token that was never listed is not plugged in`,
          );
        }
        throw error;
      }
      return {
        entry,
        route: routeOfEntry(entry),
        openKey: () =>
          openInventorySigningKey(entry, { ...(ca ? { ca } : {}), masterKey: deps.masterKey, openTokenKey }),
      };
    },
  };
}
