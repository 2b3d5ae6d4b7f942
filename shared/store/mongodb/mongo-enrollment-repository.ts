/** One-hour, single-use OTP enrollment links in MongoDB (`enrollment_links`, unique `tokenHash`, TTL). */
import type { Collection, Db } from 'mongodb';
import type { EncryptedSecret } from '../../domain/encrypted-secret.js';
import type { EnrollmentLink } from '../../domain/enrollment-link.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { EnrollmentRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';
import type { MongoTransactions } from './mongo-transactions.js';

/** A link as stored. */
export interface EnrollmentDocument {
  tokenHash: string;
  accountId: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  pendingSecret: EncryptedSecret | null;
  /** Absent in documents of links never replaced. */
  replacedAt?: Date | null;
}

/** The stored form of a link. */
export function toEnrollmentDocument(l: EnrollmentLink): EnrollmentDocument {
  return {
    tokenHash: l.tokenHash,
    accountId: l.accountId,
    createdAt: l.createdAt,
    expiresAt: l.expiresAt,
    usedAt: l.usedAt ?? null,
    ...(l.replacedAt ? { replacedAt: l.replacedAt } : {}),
    pendingSecret: l.pendingSecret
      ? {
          keyId: l.pendingSecret.keyId,
          iv: l.pendingSecret.iv,
          tag: l.pendingSecret.tag,
          ciphertext: l.pendingSecret.ciphertext,
        }
      : null,
  };
}

/** The link a stored document describes. */
export function fromEnrollmentDocument(d: EnrollmentDocument): EnrollmentLink {
  return {
    tokenHash: d.tokenHash,
    accountId: d.accountId,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    usedAt: d.usedAt ?? undefined,
    pendingSecret: d.pendingSecret ?? undefined,
    ...(d.replacedAt ? { replacedAt: d.replacedAt } : {}),
  };
}

/** The EnrollmentRepository over MongoDB. */
export function mongoEnrollmentRepository(db: Db, tx: MongoTransactions): EnrollmentRepository {
  const col: Collection<EnrollmentDocument> = db.collection<EnrollmentDocument>(COLLECTIONS.enrollments);
  return withMongoErrors('enrollments', {
    async create(link) {
      try {
        await col.insertOne(toEnrollmentDocument(link), tx.options());
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        throw new AppError(ErrorCode.INVALID_ARGUMENT, 'An enrollment link with this token exists already');
      }
    },
    async getByTokenHash(tokenHash) {
      const doc = await col.findOne({ tokenHash }, { projection: { _id: 0 }, ...tx.options() });
      return doc ? fromEnrollmentDocument(doc) : undefined;
    },
    async markUsed(tokenHash, at) {
      // Single use: `usedAt: null` matches only while nobody has used the link.
      const result = await col.updateOne(
        { tokenHash, usedAt: null },
        { $set: { usedAt: at, pendingSecret: null } },
        tx.options(),
      );
      return result.modifiedCount === 1;
    },
    async listOpenForAccount(accountId, at) {
      const docs = await col
        .find({ accountId, usedAt: null, expiresAt: { $gt: at } })
        .sort({ createdAt: 1 })
        .toArray();
      return docs.map(fromEnrollmentDocument);
    },
    async expireForAccount(accountId, at) {
      await col.updateMany(
        { accountId, usedAt: null, expiresAt: { $gt: at } },
        { $set: { expiresAt: at, replacedAt: at } },
        tx.options(),
      );
    },
    async replacePendingSecret(tokenHash, secret, at) {
      const stored = { keyId: secret.keyId, iv: secret.iv, tag: secret.tag, ciphertext: secret.ciphertext };
      const result = await col.updateOne(
        { tokenHash, usedAt: null, expiresAt: { $gt: at } },
        { $set: { pendingSecret: stored } },
        tx.options(),
      );
      return result.matchedCount === 1;
    },
  });
}
