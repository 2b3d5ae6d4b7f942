/**
 * Named leases in MongoDB (`leases`, `_id` = the name). Taking one is an upsert filtered on "free, expired or
 * ours" with the server's clock (`$$NOW`), so processes on different machines agree on expiry. A lease held
 * by someone else makes the upsert collide with the existing `_id` (duplicate key), which means "not
 * acquired". Majority and journaled: a lease lost in a failover would let two holders in.
 */
import type { Collection, Db } from 'mongodb';
import { assertLease } from '../lease-name.js';
import type { LeaseRepository } from '../store-ports.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';

export const LEASE_COLLECTION = 'leases';

interface LeaseDocument {
  _id: string;
  owner: string;
  expiresAt: Date;
}

/** `$literal` keeps a value that starts with '$' from being read as a field path inside a pipeline. */
const lit = (value: unknown) => ({ $literal: value });

/** The LeaseRepository over MongoDB. */
export function mongoLeaseRepository(db: Db): LeaseRepository {
  const leases: Collection<LeaseDocument> = db.collection<LeaseDocument>(LEASE_COLLECTION, {
    writeConcern: { w: 'majority', journal: true },
  });
  return withMongoErrors('leases', {
    async acquire(name, owner, ttlMs) {
      assertLease(name, owner, ttlMs);
      try {
        await leases.updateOne(
          { _id: name, $expr: { $or: [{ $lte: ['$expiresAt', '$$NOW'] }, { $eq: ['$owner', lit(owner)] }] } },
          [{ $set: { owner: lit(owner), expiresAt: { $add: ['$$NOW', Math.max(1, Math.ceil(ttlMs))] } } }],
          { upsert: true },
        );
        return true;
      } catch (e) {
        if (isDuplicateKey(e)) return false;
        throw e;
      }
    },
    async release(name, owner) {
      assertLease(name, owner);
      await leases.deleteOne({ _id: name, owner });
    },
  });
}
