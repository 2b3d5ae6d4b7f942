/**
 * A one-hour, single-use OTP enrollment link. Only the SHA-256 of the link's token is stored; the
 * pending secret lives here until the person confirms with a first valid code.
 */
import type { EncryptedSecret } from './encrypted-secret.js';

export interface EnrollmentLink {
  /** hex SHA-256 of the random token in the URL. */
  tokenHash: string;
  accountId: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | undefined;
  /** When a newer link for the account (or an authenticator reset) ended this one early; then it is "replaced". */
  replacedAt?: Date;
  /** The secret shown on the page, confirmed by the first code; replaces the old one on success. */
  pendingSecret: EncryptedSecret | undefined;
}
