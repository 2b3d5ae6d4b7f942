/**
 * The enrollment link's token and what derives from it: 32 random bytes (base64url) in the URL, only their
 * SHA-256 in the store, and the confirmation form's CSRF value. `loadValidLink` is the one check of a
 * link: unknown, used and expired links are refused, in that order.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EncryptedSecret } from '../domain/encrypted-secret.js';
import type { EnrollmentLink } from '../domain/enrollment-link.js';
import { AppError, ErrorCode } from '../errors.js';
import type { EnrollmentRepository } from '../store/store-ports.js';

/** A link that may be used now; its pending secret is present. */
export type ValidEnrollmentLink = EnrollmentLink & { pendingSecret: EncryptedSecret };

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh link token: 256 random bits, URL-safe. */
export function newEnrollmentToken(): string {
  return randomBytes(32).toString('base64url');
}

/** hex SHA-256 of the link token: what the store keeps instead of the token. */
export function enrollmentTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The CSRF value of the confirmation form: HMAC-SHA256 keyed with the link's pending secret over the
 * token hash. It needs no server-side state or extra key (any activity instance can check it), is bound
 * to one link, and stops working with the link. It reveals nothing new: the page shows the secret anyway.
 */
export function enrollmentFormToken(secret: Buffer, tokenHash: string): string {
  return createHmac('sha256', secret).update(`signservice-enroll-form:${tokenHash}`).digest('base64url');
}

/** Constant-time comparison of the posted form token with the expected one. */
export function formTokenMatches(posted: string, expected: string): boolean {
  const a = Buffer.from(posted);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Finds the link for `token` and refuses unknown, used and expired ones, in that order. */
export async function loadValidLink(
  enrollments: EnrollmentRepository,
  token: string,
  at: Date,
): Promise<ValidEnrollmentLink> {
  const link = TOKEN_PATTERN.test(token) ? await enrollments.getByTokenHash(enrollmentTokenHash(token)) : undefined;
  if (!link) {
    throw new AppError(
      ErrorCode.ENROLLMENT_LINK_INVALID,
      'This enrollment link is not known; ask the administrator for a new one',
    );
  }
  // A used link no longer holds its secret (the store forgets it on use).
  if (link.usedAt) {
    throw new AppError(ErrorCode.ENROLLMENT_LINK_USED, 'This enrollment link was used already; each link works once');
  }
  if (!link.pendingSecret) {
    throw new AppError(
      ErrorCode.ENROLLMENT_LINK_INVALID,
      'This enrollment link is not known; ask the administrator for a new one',
    );
  }
  if (link.expiresAt.getTime() <= at.getTime()) {
    throw new AppError(
      ErrorCode.ENROLLMENT_LINK_EXPIRED,
      `This enrollment link expired at ${link.expiresAt.toISOString()}; ask the administrator for a new one`,
    );
  }
  return { ...link, pendingSecret: link.pendingSecret };
}
