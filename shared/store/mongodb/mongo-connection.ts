/**
 * Connecting to MongoDB and creating the collections' indexes (idempotent: `createIndexes` with the same
 * names and options is a no-op on a second start). The unique indexes carry the store's invariants: one
 * login (case-insensitive), one account per Bitrix24 user, one link per token, one grant per account and
 * certificate, one sign log entry per seq (and per dedupe key), one checkpoint per number, one sign
 * request per `_id`. The service key is one document with a fixed `_id`.
 */
import { type Db, type IndexDescription, MongoClient } from 'mongodb';
import { AppError, ErrorCode } from '../../errors.js';
import { scrubPassword } from './mongo-errors.js';

/** Enrollment links stay readable a week after expiry ("this link expired" rather than "unknown link"). */
const LINK_TTL_SECONDS = 7 * 24 * 3600;

export const COLLECTIONS = {
  accounts: 'accounts',
  enrollments: 'enrollment_links',
  grants: 'grants',
  certificateNames: 'certificate_names',
  signLog: 'sign_log',
  signLogCheckpoints: 'sign_log_checkpoints',
  serviceKeys: 'service_keys',
  signRequests: 'sign_requests',
} as const;

/** The GridFS bucket of the BlobStore (`blobs.files`, `blobs.chunks`; the driver creates their indexes). */
export const BLOB_BUCKET = 'blobs';

const INDEXES: Record<string, IndexDescription[]> = {
  [COLLECTIONS.accounts]: [
    { key: { loginLower: 1 }, name: 'login_unique', unique: true },
    {
      key: { 'bitrix.memberId': 1, 'bitrix.userId': 1 },
      name: 'bitrix_user_unique',
      unique: true,
      // Unlinked accounts store bitrix: null and must not collide with each other.
      partialFilterExpression: { 'bitrix.memberId': { $type: 'string' } },
    },
    { key: { emailLower: 1 }, name: 'email' },
    // list({ memberId }): a portal's accounts by login.
    { key: { memberId: 1, loginLower: 1 }, name: 'portal_login' },
  ],
  [COLLECTIONS.enrollments]: [
    { key: { tokenHash: 1 }, name: 'token_unique', unique: true },
    { key: { accountId: 1 }, name: 'account' },
    { key: { expiresAt: 1 }, name: 'expires_ttl', expireAfterSeconds: LINK_TTL_SECONDS },
  ],
  [COLLECTIONS.grants]: [
    { key: { accountId: 1, certId: 1 }, name: 'account_cert_unique', unique: true },
    { key: { certId: 1 }, name: 'cert' },
  ],
  [COLLECTIONS.signLog]: [
    { key: { seq: 1 }, name: 'seq_unique', unique: true },
    { key: { time: 1 }, name: 'time' },
    // appendOnce: at most one entry per dedupe key; entries without one are not indexed (sparse).
    { key: { dedupeKey: 1 }, name: 'dedupe_unique', unique: true, sparse: true },
  ],
  // One checkpoint per number: of processes checkpointing at once, one wins each number.
  [COLLECTIONS.signLogCheckpoints]: [{ key: { number: 1 }, name: 'number_unique', unique: true }],
  [COLLECTIONS.signRequests]: [
    { key: { state: 1, createdAt: -1 }, name: 'state_created' },
    { key: { accountId: 1, createdAt: -1 }, name: 'account_created' },
    // A batch's requests (the approval page's progress); sparse: most requests belong to no batch.
    { key: { batchId: 1 }, name: 'batch', sparse: true },
  ],
};

/** "host:port, host:port" of a client, or the SRV name; never user or password. */
function describeTarget(client: MongoClient): string {
  const { srvHost, hosts } = client.options;
  return srvHost ? `${srvHost} (SRV)` : hosts.map((h) => h.toString()).join(', ');
}

export interface MongoConnection {
  client: MongoClient;
  db: Db;
}

/**
 * Connects, checks the server answers, and creates the indexes.
 * @throws AppError CONFIG_INVALID for a malformed connection string, STORE_UNAVAILABLE when the server
 *   cannot be reached or refuses (the message names the host, never the password).
 */
export async function connectMongo(url: string, dbName: string): Promise<MongoConnection> {
  let client: MongoClient;
  try {
    // ignoreUndefined: an undefined member is left out, as in the embedded store, never stored as null.
    client = new MongoClient(url, { ignoreUndefined: true });
  } catch (e) {
    const reason = scrubPassword((e as Error).message ?? String(e), url);
    throw new AppError(ErrorCode.CONFIG_INVALID, `MONGO_URL is not a usable MongoDB connection string: ${reason}`);
  }
  const target = describeTarget(client);
  try {
    await client.connect();
    const db = client.db(dbName);
    await db.command({ ping: 1 });
    for (const [collection, indexes] of Object.entries(INDEXES)) {
      await db.collection(collection).createIndexes(indexes);
    }
    return { client, db };
  } catch (e) {
    await client.close().catch(() => undefined);
    const reason = scrubPassword((e as Error).message ?? String(e), url, client.options.credentials?.password);
    // No `cause`: the driver's error object may hold the connection options.
    throw new AppError(
      ErrorCode.STORE_UNAVAILABLE,
      `Cannot use MongoDB at ${target} (database '${dbName}'): ${reason}`,
    );
  }
}
