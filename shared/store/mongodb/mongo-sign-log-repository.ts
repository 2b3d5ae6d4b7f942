/**
 * The sign log in MongoDB (`sign_log`, unique `seq`). Without transactions, an append reads the last
 * entry and inserts the next one (hash and MAC chained to it); if another process inserted that seq first,
 * the unique index refuses ours (duplicate key, 11000) and we rebuild on the new last entry. So the chain
 * stays linear across processes. Inside one process appends are queued, so retries only happen between
 * processes. `appendOnce` stores its dedupe key on the document under a unique sparse index: a second append
 * with the same key fails on that index and returns the entry that won. A log of the old unkeyed format is
 * upgraded by `upgrade()` or the first append (mongo-sign-log-upgrade.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collection, Db, Filter } from 'mongodb';
import type { SignLogKey } from '../../audit/sign-log-key.js';
import type { SignLogEntry, SignLogInput } from '../../domain/sign-log-entry.js';
import { AppError, ErrorCode } from '../../errors.js';
import { assertDedupeKey } from '../dedupe-key.js';
import { nextSignLogEntry } from '../next-sign-log-entry.js';
import type { SignLogRange, SignLogRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, mongoError, withMongoErrors } from './mongo-errors.js';
import { upgradeMongoSignLog } from './mongo-sign-log-upgrade.js';
import type { MongoTransactions } from './mongo-transactions.js';

/** Attempts per append when other processes keep winning the race for the next seq. */
const MAX_ATTEMPTS = 50;

/** The stored form of an entry is the entry itself (dates as BSON dates), plus the driver's `_id`. */
export function toSignLogDocument(entry: SignLogEntry): SignLogEntry {
  return { ...entry };
}

/**
 * The entry a stored document holds: everything but `_id` and the `dedupeKey` of `appendOnce` (an index
 * key, not part of the entry or its hash), so any other added field breaks the hash. A `mac` that is not a
 * string (a hand-edited null) is no MAC.
 */
export function fromSignLogDocument(doc: SignLogEntry & { _id?: unknown; dedupeKey?: unknown }): SignLogEntry {
  const { _id, dedupeKey, mac, ...entry } = doc;
  return typeof mac === 'string' ? { ...entry, mac } : entry;
}

/** Runs the given functions one after another (an in-process queue). */
function serialQueue() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** An entry as stored: with the dedupe key of `appendOnce`, if it had one. */
type StoredEntry = SignLogEntry & { dedupeKey?: string };

/**
 * The SignLogRepository over MongoDB; `key` MACs every entry. Inside `Store.transaction` every operation
 * carries the transaction's session (`tx.options()`).
 */
export function mongoSignLogRepository(db: Db, key: SignLogKey, tx: MongoTransactions): SignLogRepository {
  // Majority and journaled: an acknowledged entry survives a crash and a failover.
  const col: Collection<StoredEntry> = db.collection<StoredEntry>(COLLECTIONS.signLog, {
    writeConcern: { w: 'majority', journal: true },
  });
  const queued = serialQueue();

  const upgrade = () =>
    upgradeMongoSignLog(
      {
        entries: col,
        fromDocument: fromSignLogDocument,
        keyed: async () => ({
          checkpoints: (await db.collection(COLLECTIONS.signLogCheckpoints).findOne({})) !== null,
          serviceKey: (await db.collection(COLLECTIONS.serviceKeys).findOne({})) !== null,
        }),
      },
      key,
    );

  /** The entry stored under `dedupeKey`, if any. */
  async function findByDedupeKey(dedupeKey: string): Promise<SignLogEntry | undefined> {
    const doc = await col.findOne({ dedupeKey }, tx.options());
    return doc ? fromSignLogDocument(doc) : undefined;
  }

  async function head(): Promise<SignLogEntry | undefined> {
    const doc = await col.findOne({}, { sort: { seq: -1 }, ...tx.options() });
    return doc ? fromSignLogDocument(doc) : undefined;
  }

  /**
   * One try at appending on top of the current last entry: the entry, undefined when another process took
   * the seq (try again), or — with a dedupe key — the existing entry when that key is taken.
   */
  async function tryAppend(input: SignLogInput, dedupeKey?: string): Promise<SignLogEntry | undefined> {
    let last = await head();
    if (last && last.mac === undefined) {
      await upgrade();
      last = await head();
    }
    const entry = nextSignLogEntry(input, last, key);
    try {
      await col.insertOne(dedupeKey === undefined ? toSignLogDocument(entry) : { ...entry, dedupeKey }, tx.options());
      return entry;
    } catch (e) {
      if (isDuplicateKey(e, 'seq_unique')) return undefined;
      if (dedupeKey !== undefined && isDuplicateKey(e, 'dedupe_unique')) return findByDedupeKey(dedupeKey);
      throw e;
    }
  }

  /** Appends, retrying while other processes win the race for the next seq. */
  async function appendWithRetries(input: SignLogInput, dedupeKey?: string): Promise<SignLogEntry> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (dedupeKey !== undefined) {
        const existing = await findByDedupeKey(dedupeKey);
        if (existing) return existing;
      }
      const entry = await tryAppend(input, dedupeKey);
      if (entry) return entry;
      // Another process took this seq: back off a little (with jitter) and build on its entry.
      await sleep(Math.floor(Math.random() * 10 * attempt));
    }
    throw new AppError(
      ErrorCode.STORE_UNAVAILABLE,
      `cannot append to the sign log: ${MAX_ATTEMPTS} attempts lost the race for the next entry to other processes`,
    );
  }

  async function* list(range: SignLogRange = {}): AsyncGenerator<SignLogEntry> {
    const filter: Filter<StoredEntry> = {};
    if (range.from || range.to) {
      filter.time = { ...(range.from ? { $gte: range.from } : {}), ...(range.to ? { $lt: range.to } : {}) };
    }
    if (range.fromSeq !== undefined) filter.seq = { $gte: range.fromSeq };
    const cursor = col.find(filter, { sort: { seq: 1 } });
    try {
      for await (const doc of cursor) yield fromSignLogDocument(doc);
    } catch (e) {
      throw mongoError(e, 'cannot read the sign log');
    } finally {
      await cursor.close();
    }
  }

  return withMongoErrors('signLog', {
    append: (input) => queued(() => appendWithRetries(input)),
    appendOnce: async (input, dedupeKey) => {
      assertDedupeKey(dedupeKey);
      return queued(() => appendWithRetries(input, dedupeKey));
    },
    list,
    head,
    upgrade: async () => ({ upgraded: await queued(upgrade) }),
  });
}
