/** One-hour, single-use OTP enrollment links in the embedded store. */
import type { EncryptedSecret } from '../../domain/encrypted-secret.js';
import type { EnrollmentLink } from '../../domain/enrollment-link.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { EnrollmentRepository } from '../store-ports.js';
import { isUniqueViolation, type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

interface LinkRow {
  token_hash: string;
  account_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  pending_secret: string | null;
  /** Schema v6; NULL for links that were never replaced. */
  replaced_at: string | null;
}

function fromRow(r: LinkRow): EnrollmentLink {
  return {
    tokenHash: r.token_hash,
    accountId: r.account_id,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    usedAt: r.used_at ? new Date(r.used_at) : undefined,
    pendingSecret: r.pending_secret ? (JSON.parse(r.pending_secret) as EncryptedSecret) : undefined,
    ...(r.replaced_at ? { replacedAt: new Date(r.replaced_at) } : {}),
  };
}

/** The EnrollmentRepository over the embedded SQLite file. */
export function embeddedEnrollmentRepository(db: SqliteDatabase): EnrollmentRepository {
  const openForAccount = db.prepare<[string, string], LinkRow>(
    'SELECT * FROM enrollment_links WHERE account_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at',
  );
  const insert = db.prepare(
    `INSERT INTO enrollment_links (token_hash, account_id, created_at, expires_at, used_at, pending_secret)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const byToken = db.prepare<[string], LinkRow>('SELECT * FROM enrollment_links WHERE token_hash = ?');
  // Single use: only the first UPDATE finds used_at still NULL.
  const markUsed = db.prepare(
    'UPDATE enrollment_links SET used_at = ?, pending_secret = NULL WHERE token_hash = ? AND used_at IS NULL',
  );
  const replaceSecret = db.prepare(
    'UPDATE enrollment_links SET pending_secret = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?',
  );
  // An unused link of the account expires now, unless it expires earlier anyway, and is marked replaced.
  const expire = db.prepare(
    'UPDATE enrollment_links SET expires_at = ?, replaced_at = ? WHERE account_id = ? AND used_at IS NULL AND expires_at > ?',
  );

  return withStoreErrors('enrollments', {
    async create(link) {
      try {
        insert.run(
          link.tokenHash,
          link.accountId,
          link.createdAt.toISOString(),
          link.expiresAt.toISOString(),
          link.usedAt ? link.usedAt.toISOString() : null,
          link.pendingSecret ? JSON.stringify(link.pendingSecret) : null,
        );
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        throw new AppError(ErrorCode.INVALID_ARGUMENT, 'An enrollment link with this token exists already');
      }
    },
    async getByTokenHash(tokenHash) {
      const row = byToken.get(tokenHash);
      return row && fromRow(row);
    },
    async markUsed(tokenHash, at) {
      return markUsed.run(at.toISOString(), tokenHash).changes === 1;
    },
    async listOpenForAccount(accountId, at) {
      return openForAccount.all(accountId, at.toISOString()).map(fromRow);
    },
    async expireForAccount(accountId, at) {
      const when = at.toISOString();
      expire.run(when, when, accountId, when);
    },
    async replacePendingSecret(tokenHash, secret, at) {
      return replaceSecret.run(JSON.stringify(secret), tokenHash, at.toISOString()).changes === 1;
    },
  });
}
