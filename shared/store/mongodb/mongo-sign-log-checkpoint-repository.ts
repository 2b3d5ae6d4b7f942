/**
 * Sign log checkpoints in MongoDB (`sign_log_checkpoints`, unique `number`). Without transactions, `add`
 * reads the last checkpoint and inserts number last + 1 if its seq is beyond it; when another process took
 * that number first, the unique index refuses ours and we look again: if the winner checkpointed as far,
 * ours is dropped, otherwise it takes the next number. So numbers and seqs both only grow.
 */
import type { Collection, Db } from 'mongodb';
import type { NewSignLogCheckpoint, SignLogCheckpoint } from '../../domain/sign-log-checkpoint.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { SignLogCheckpointRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';

/** Attempts per checkpoint while other processes keep taking the next number. */
const MAX_ATTEMPTS = 20;

/** The checkpoint a stored document holds (without the driver's `_id`). */
function fromDocument(doc: SignLogCheckpoint & { _id?: unknown }): SignLogCheckpoint {
  const { _id, timestamp, ...checkpoint } = doc;
  return typeof timestamp === 'string' ? { ...checkpoint, timestamp } : checkpoint;
}

/** The SignLogCheckpointRepository over MongoDB. */
export function mongoSignLogCheckpointRepository(db: Db): SignLogCheckpointRepository {
  const col: Collection<SignLogCheckpoint> = db.collection<SignLogCheckpoint>(COLLECTIONS.signLogCheckpoints, {
    writeConcern: { w: 'majority', journal: true },
  });

  async function last(): Promise<SignLogCheckpoint | undefined> {
    const doc = await col.findOne({}, { sort: { number: -1 } });
    return doc ? fromDocument(doc) : undefined;
  }

  async function add(checkpoint: NewSignLogCheckpoint): Promise<SignLogCheckpoint | undefined> {
    const { timestamp: _none, ...fields } = checkpoint;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const previous = await last();
      if (previous && previous.seq >= fields.seq) return undefined;
      const stored: SignLogCheckpoint = { ...fields, number: (previous?.number ?? 0) + 1 };
      try {
        await col.insertOne({ ...stored });
        return stored;
      } catch (e) {
        if (!isDuplicateKey(e, 'number_unique')) throw e;
      }
    }
    throw new AppError(
      ErrorCode.STORE_UNAVAILABLE,
      `cannot store a sign log checkpoint: ${MAX_ATTEMPTS} attempts lost the race for the next number`,
    );
  }

  return withMongoErrors('signLogCheckpoints', {
    add,
    last,
    async list() {
      return (await col.find({}, { sort: { number: 1 } }).toArray()).map(fromDocument);
    },
    async untimestamped(limit) {
      const docs = await col
        .find({ timestamp: { $not: { $type: 'string' } } }, { sort: { number: 1 }, limit })
        .toArray();
      return docs.map(fromDocument);
    },
    async setTimestamp(number, token) {
      const result = await col.updateOne(
        { number, timestamp: { $not: { $type: 'string' } } },
        { $set: { timestamp: token } },
      );
      return result.modifiedCount === 1;
    },
  });
}
