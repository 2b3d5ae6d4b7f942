/**
 * Which PAdES level a certificate signs at in the service: its token's `level` (SIGNSERVICE_TOKENS), or
 * INTERNAL_CA_SIGNATURE_LEVEL for internal-CA certificates, with the worker's TSA and one revocation fetcher
 * (its cache by nextUpdate serves every job of the process).
 */
import type { SigningConfig, WorkerConfig } from '../shared/config.js';
import type { InventoryEntry } from '../shared/crypto/certificate-inventory.js';
import { createRevocationFetcher } from '../shared/crypto/revocation/revocation-fetcher.js';
import type { LevelSources } from '../shared/pdf/long-term/sign-at-level.js';

const NO_TSA: SigningConfig = { tsaUrl: undefined, internalCaLevel: 'B-B', defaultLevel: 'B-B', timeoutMs: 10_000 };

/** The level (and sources) of each certificate. */
export function signingLevels(
  config: Pick<WorkerConfig, 'tokens' | 'signing'>,
): (entry: InventoryEntry) => LevelSources {
  const signing = config.signing ?? NO_TSA;
  const fetcher = createRevocationFetcher({ timeoutMs: signing.timeoutMs });
  return (entry) => {
    const { location } = entry;
    const level =
      location.kind === 'token'
        ? (config.tokens.find((t) => t.label === location.tokenLabel)?.level ?? signing.defaultLevel)
        : signing.internalCaLevel;
    return { level, tsaUrl: signing.tsaUrl, fetcher, timeoutMs: signing.timeoutMs };
  };
}
