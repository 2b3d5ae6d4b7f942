/**
 * The OAuth token pair at rest: sealed together with the master key under the context
 * `portal:<memberId>:tokens`, so one portal's envelope cannot be swapped into another's record
 * (shared/crypto/master-key.ts binds the context as GCM additional data).
 */
import type { MasterKey } from '../crypto/master-key.js';
import type { PortalTokens } from '../domain/portal.js';
import { AppError, ErrorCode } from '../errors.js';

/** The tokens in clear, only ever in memory. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** The sealing context of a portal's tokens. */
export function portalTokenContext(memberId: string): string {
  return `portal:${memberId}:tokens`;
}

/** Seals `pair` for `memberId`, expiring at `expiresAt`. */
export function sealPortalTokens(key: MasterKey, memberId: string, pair: TokenPair, expiresAt: Date): PortalTokens {
  const plaintext = Buffer.from(JSON.stringify({ a: pair.accessToken, r: pair.refreshToken }), 'utf8');
  return { sealed: key.seal(plaintext, portalTokenContext(memberId)), expiresAt };
}

/**
 * Opens the tokens of `memberId`.
 * @throws AppError MASTER_KEY_INVALID (wrong key or tampered record), INTERNAL for an unreadable envelope.
 */
export function openPortalTokens(key: MasterKey, memberId: string, tokens: PortalTokens): TokenPair {
  const clear = key.open(tokens.sealed, portalTokenContext(memberId));
  try {
    const parsed = JSON.parse(clear.toString('utf8')) as { a?: unknown; r?: unknown };
    if (typeof parsed.a === 'string' && typeof parsed.r === 'string') {
      return { accessToken: parsed.a, refreshToken: parsed.r };
    }
  } catch {
    // reported below
  } finally {
    clear.fill(0);
  }
  throw new AppError(ErrorCode.INTERNAL, `the stored tokens of portal ${memberId} are unreadable`);
}
