/**
 * The enrollment link's token and what derives from it: 32 random bytes (base64url) in the URL, only their
 * SHA-256 in the store, and the confirmation form's key tag. `loadValidLink` is the one check of a
 * link: unknown, used, replaced and expired links are refused, in that order.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EnrollmentLink } from '../domain/enrollment-link.js';
import { AppError, ErrorCode } from '../errors.js';
import type { EnrollmentRepository } from '../store/store-ports.js';

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
 * The confirmation form's key tag: HMAC-SHA256 keyed with the link's pending secret over the token hash.
 * It binds the confirmation to the key the form showed — a newer key (another press of "Show my key")
 * makes it stale — with no server-side state. It reveals nothing new: the page shows the secret anyway.
 * (The CSRF token of the page's POSTs is the app's, activity/middleware/csrf-guard.ts.)
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

/** Finds the link for `token` and refuses unknown, used, replaced and expired ones, in that order. */
export async function loadValidLink(
  enrollments: EnrollmentRepository,
  token: string,
  at: Date,
): Promise<EnrollmentLink> {
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
  if (link.replacedAt && link.replacedAt.getTime() <= at.getTime()) {
    throw new AppError(
      ErrorCode.ENROLLMENT_LINK_REPLACED,
      'This enrollment link was replaced by a newer one; use the newest link you received',
    );
  }
  if (link.expiresAt.getTime() <= at.getTime()) {
    throw new AppError(
      ErrorCode.ENROLLMENT_LINK_EXPIRED,
      `This enrollment link expired at ${link.expiresAt.toISOString()}; ask the administrator for a new one`,
    );
  }
  return link;
}
