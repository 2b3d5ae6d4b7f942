/**
 * Authenticating inbound Bitrix24 calls (reference §7): every event, robot call and placement POST carries
 * the portal's `application_token`; it must equal the one stored at install for that `member_id`. For
 * `ONAPPUNINSTALL` it is the only proof. The store keeps only the token's SHA-256, and the comparison is
 * `timingSafeEqual` over two 32-byte digests, so neither the token's bytes nor its length leak through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Portal } from '../domain/portal.js';
import { AppError, ErrorCode } from '../errors.js';
import type { PortalRepository } from '../store/store-ports.js';

/** The stored form of an application_token: SHA-256, hex. */
export function hashApplicationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compared against when no hash is stored, so an unknown portal costs the same time as a wrong token. */
const NO_HASH = Buffer.alloc(32, 0xa5);

/** True when `posted` hashes to `storedHash` (false when nothing is stored), in constant time. */
export function applicationTokenMatches(storedHash: string | undefined, posted: string): boolean {
  const stored = storedHash && /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : NO_HASH;
  const equal = timingSafeEqual(createHash('sha256').update(posted, 'utf8').digest(), stored);
  return equal && stored !== NO_HASH;
}

/**
 * Looks up the installed portal `memberId` and checks the posted application_token against it.
 * The error does not say which of the two failed.
 * @throws AppError B24_FORBIDDEN for an unknown or uninstalled portal or a wrong token.
 */
export async function verifyApplicationToken(
  portals: PortalRepository,
  memberId: string,
  postedToken: string,
): Promise<Portal> {
  const portal = await portals.get(memberId);
  const installed = portal?.status === 'installed' ? portal : undefined;
  if (!applicationTokenMatches(installed?.applicationTokenHash, postedToken) || !installed) {
    throw new AppError(
      ErrorCode.B24_FORBIDDEN,
      'The request does not come from a Bitrix24 portal that has this app installed (unknown member_id or wrong application_token)',
      { details: { memberId } },
    );
  }
  return installed;
}
