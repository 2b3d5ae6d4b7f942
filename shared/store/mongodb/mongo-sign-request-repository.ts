/**
 * Sign requests in MongoDB (`sign_requests`, `_id` = request id). `update` is MongoDB's compare-and-set: a
 * single-document replace whose filter names the version that was read, so of two workers advancing the
 * same request only one matches.
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { SignRequest } from '../../domain/sign-request.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { SignRequestRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';
import type { MongoTransactions } from './mongo-transactions.js';

/** A request as stored: the request without `id`, which is the document's `_id`. */
export type SignRequestDocument = Omit<SignRequest, 'id'> & { _id: string };

/** The stored form of a request (dates stay BSON dates). */
export function toSignRequestDocument(request: SignRequest): SignRequestDocument {
  const { id, ...rest } = request;
  return { _id: id, ...rest };
}

/** The request a stored document holds. */
export function fromSignRequestDocument(doc: SignRequestDocument): SignRequest {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

/** The SignRequestRepository over MongoDB. */
export function mongoSignRequestRepository(db: Db, tx: MongoTransactions): SignRequestRepository {
  // Majority and journaled: a recorded step (above all "signed") must survive a crash and a failover.
  const col: Collection<SignRequestDocument> = db.collection<SignRequestDocument>(COLLECTIONS.signRequests, {
    writeConcern: { w: 'majority', journal: true },
  });
  return withMongoErrors('signRequests', {
    async create(request) {
      try {
        await col.insertOne(toSignRequestDocument(request), tx.options());
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        throw new AppError(ErrorCode.INVALID_ARGUMENT, `A sign request with id ${request.id} exists already`);
      }
    },
    async get(id) {
      const doc = await col.findOne({ _id: id }, tx.options());
      return doc ? fromSignRequestDocument(doc) : undefined;
    },
    async update(request, expectedVersion) {
      const { _id, ...replacement } = toSignRequestDocument({ ...request, version: expectedVersion + 1 });
      const result = await col.replaceOne({ _id, version: expectedVersion }, replacement, tx.options());
      return result.matchedCount === 1;
    },
    async list(filter = {}, limit = 100) {
      const query: Filter<SignRequestDocument> = {};
      if (filter.state !== undefined) query.state = filter.state;
      if (filter.accountId !== undefined) query.accountId = filter.accountId;
      if (filter.updatedBefore !== undefined) query.updatedAt = { $lt: filter.updatedBefore };
      if (filter.batchId !== undefined) query.batchId = filter.batchId;
      const docs = await col
        .find(query, tx.options())
        .sort({ createdAt: -1, _id: -1 })
        .limit(Math.max(1, Math.floor(limit)))
        .toArray();
      return docs.map(fromSignRequestDocument);
    },
  });
}
