/**
 * Upgrading a MongoDB sign log of the old unkeyed format. Without transactions, the MACs are written in seq
 * order with ordered bulk updates, each conditional on the entry still having the hash that was verified and
 * no MAC yet. MACs are deterministic, so a crash midway leaves a verified prefix with MACs that the next
 * upgrade checks and continues, and two processes upgrading at once write the same values.
 */
import type { Collection } from 'mongodb';
import { CHAIN_START } from '../../audit/sign-log-chain.js';
import type { SignLogKey } from '../../audit/sign-log-key.js';
import type { SignLogEntry } from '../../domain/sign-log-entry.js';
import { assertNeverKeyed, upgradeBatch } from '../sign-log-upgrade.js';

/** Entries verified and written per bulk update. */
const BATCH = 500;

/** Matches an entry without a MAC (absent, or not a string: a hand-edited null counts as absent). */
export const WITHOUT_MAC = { mac: { $not: { $type: 'string' } } } as const;

/** What the upgrade needs to see of the store. */
export interface MongoUpgradeTarget {
  entries: Collection<SignLogEntry>;
  /** Whether the log was keyed already (a checkpoint or the service key exists). */
  keyed(): Promise<{ checkpoints: boolean; serviceKey: boolean }>;
  /** An entry as the store reads it (the document mapping of the repository). */
  fromDocument(doc: SignLogEntry): SignLogEntry;
}

/** Adds the missing MACs; returns how many entries got one. @throws AppError SIGN_LOG_BROKEN */
export async function upgradeMongoSignLog(target: MongoUpgradeTarget, key: SignLogKey): Promise<number> {
  const first = await target.entries.findOne(WITHOUT_MAC, { sort: { seq: 1 }, projection: { seq: 1 } });
  if (!first) return 0;
  assertNeverKeyed(first.seq, await target.keyed());
  let at = CHAIN_START;
  let upgraded = 0;
  let batch: SignLogEntry[] = [];
  const flush = async () => {
    const result = upgradeBatch(batch, at, key);
    at = result.at;
    batch = [];
    if (result.fills.length === 0) return;
    await target.entries.bulkWrite(
      result.fills.map((fill) => ({
        updateOne: { filter: { seq: fill.seq, hash: fill.hash, ...WITHOUT_MAC }, update: { $set: { mac: fill.mac } } },
      })),
      { ordered: true },
    );
    upgraded += result.fills.length;
  };
  const cursor = target.entries.find({}, { sort: { seq: 1 } });
  try {
    for await (const doc of cursor) {
      batch.push(target.fromDocument(doc));
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    await cursor.close();
  }
  return upgraded;
}
