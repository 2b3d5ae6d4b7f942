/**
 * The binding between a batch's confirmation step and the code that authorises it. The confirmation page
 * lists the documents (after checking each is the signer's and waits for them) and carries a review token:
 * an HMAC (key derived from the master key) over the signer's account, the portal, the batch id, the number
 * of documents and the SHA-256 of their sorted ids, valid REVIEW_MINUTES. The sign POST sends the ids again
 * with the token; a set that differs in any id — one added after the list was shown, one forged into the
 * form — or a token that is old, forged or another signer's is refused with BATCH_CHANGED before the code is
 * looked at, so one code authorises exactly the listed documents, no more. Stateless: any activity instance
 * checks it.
 */
import { createHash } from 'node:crypto';
import type { MasterKey } from '../../shared/crypto/master-key.js';
import { signToken, type TokenClaims, verifyToken } from '../../shared/crypto/signed-token.js';
import { AppError, ErrorCode } from '../../shared/errors.js';

/** HKDF purpose of the review key. */
const PURPOSE = 'signservice/batch-review/v1';

/** How long a confirmation step may stay open before its code is typed. */
export const REVIEW_MINUTES = 15;

/** What a confirmation step showed. */
export interface BatchReview {
  accountId: string;
  memberId: string;
  batchId: string;
  requestIds: readonly string[];
}

interface ReviewClaims extends TokenClaims {
  v: 1;
  a: string;
  m: string;
  b: string;
  n: number;
  h: string;
}

/** SHA-256 over the distinct ids in sorted order: the same set gives the same digest, whatever the order. */
function idsDigest(ids: readonly string[]): { digest: string; count: number } {
  const sorted = [...new Set(ids)].sort();
  return { digest: createHash('sha256').update(sorted.join('\n'), 'utf8').digest('base64url'), count: sorted.length };
}

function changed(why: string): AppError {
  return new AppError(
    ErrorCode.BATCH_CHANGED,
    `The documents are not the ones the confirmation step listed (${why}); nothing was signed, review the list again`,
    { details: { reason: why } },
  );
}

/** Makes and checks review tokens. */
export interface BatchReviews {
  /** The token of a confirmation step showing `review.requestIds`. */
  issue(review: BatchReview, now: Date): string;
  /**
   * The batch id, when `token` was issued for exactly `requestIds` of `signer`, and is not older than
   * REVIEW_MINUTES. @throws AppError BATCH_CHANGED
   */
  check(
    token: string,
    signer: { accountId: string; memberId: string },
    requestIds: readonly string[],
    now: Date,
  ): string;
}

/** The review tokens over a key derived from the master key. */
export function batchReviews(masterKey: MasterKey): BatchReviews {
  const key = masterKey.deriveKey(PURPOSE);
  return {
    issue(review, now) {
      const { digest, count } = idsDigest(review.requestIds);
      const claims: ReviewClaims = {
        v: 1,
        a: review.accountId,
        m: review.memberId,
        b: review.batchId,
        n: count,
        h: digest,
        exp: Math.floor(now.getTime() / 1000) + REVIEW_MINUTES * 60,
      };
      return signToken(key, claims);
    },
    check(token, signer, requestIds, now) {
      const checked = verifyToken<ReviewClaims>(
        key,
        token,
        now.getTime(),
        (c) =>
          c.v === 1 &&
          typeof c.a === 'string' &&
          typeof c.m === 'string' &&
          typeof c.b === 'string' &&
          typeof c.h === 'string' &&
          Number.isSafeInteger(c.n),
      );
      if (!checked.ok)
        throw changed(checked.reason === 'expired' ? 'the confirmation is too old' : 'not our confirmation');
      const c = checked.claims;
      if (c.a !== signer.accountId || c.m !== signer.memberId) throw changed('another signer’s confirmation');
      const { digest, count } = idsDigest(requestIds);
      if (count !== c.n || digest !== c.h) throw changed(`${count} documents sent, ${c.n} listed`);
      return c.b;
    },
  };
}
