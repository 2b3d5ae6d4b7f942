/**
 * Which queue a sign job goes to: the key's home. A certificate on a PKCS#11 token routes to
 * `token:<label>`, consumed only by the worker that holds that token; internal-CA software keys route to
 * `internal`, which every worker consumes (DESIGN §3, "Tokens and routing").
 */
import type { InventoryEntry } from '../crypto/certificate-inventory.js';
import { AppError, ErrorCode } from '../errors.js';

/** The route every worker consumes: keys sealed under the master key can sign anywhere. */
export const INTERNAL_ROUTE = 'internal';

/** The route of a token by its label. */
export function tokenRoute(label: string): string {
  return `token:${label}`;
}

/**
 * The route of an inventory entry's key.
 * @throws AppError CERT_KEY_MISSING for a certificate whose key is nowhere.
 */
export function routeOfEntry(entry: InventoryEntry): string {
  if (entry.location.kind === 'token') return tokenRoute(entry.location.tokenLabel);
  if (entry.location.kind === 'internal') return INTERNAL_ROUTE;
  throw new AppError(
    ErrorCode.CERT_KEY_MISSING,
    `The certificate "${entry.subject}" (id ${entry.id.slice(0, 16)}…) has no private key anywhere; it cannot sign`,
  );
}
