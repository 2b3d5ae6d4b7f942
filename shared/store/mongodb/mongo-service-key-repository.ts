/**
 * The service key in MongoDB: one document (`service_keys`, `_id` 'sign-log'). `create` inserts it unless
 * it exists; the loser of a race between processes (activity and workers on different machines) gets the
 * duplicate key error and reads the winner's, so every process signs with the same key.
 */
import type { Collection, Db } from 'mongodb';
import type { StoredServiceKey } from '../../domain/sign-log-checkpoint.js';
import type { ServiceKeyRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';

/** The sign log key's id (a collection keyed by id leaves room for other service keys later). */
const SIGN_LOG_KEY_ID = 'sign-log';

interface ServiceKeyDocument {
  _id: string;
  /** base64 DER. */
  certificate: string;
  sealedKey: StoredServiceKey['sealedKey'];
  createdAt: Date;
}

function fromDocument(doc: ServiceKeyDocument): StoredServiceKey {
  return { certificate: Buffer.from(doc.certificate, 'base64'), sealedKey: doc.sealedKey, createdAt: doc.createdAt };
}

/** The ServiceKeyRepository over MongoDB. */
export function mongoServiceKeyRepository(db: Db): ServiceKeyRepository {
  const col: Collection<ServiceKeyDocument> = db.collection<ServiceKeyDocument>(COLLECTIONS.serviceKeys, {
    writeConcern: { w: 'majority', journal: true },
  });
  const get = async () => {
    const doc = await col.findOne({ _id: SIGN_LOG_KEY_ID });
    return doc ? fromDocument(doc) : undefined;
  };
  return withMongoErrors('serviceKeys', {
    get,
    async create(key) {
      try {
        await col.insertOne({
          _id: SIGN_LOG_KEY_ID,
          certificate: key.certificate.toString('base64'),
          sealedKey: key.sealedKey,
          createdAt: key.createdAt,
        });
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      return (await get()) as StoredServiceKey;
    },
  });
}
