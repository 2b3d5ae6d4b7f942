/**
 * The MongoDB store (production): collections `accounts`, `enrollment_links`, `grants`, `certificate_names`,
 * `sign_log`, `sign_log_checkpoints`, `service_keys`, `sign_requests`, `portals` and `leases`, with their unique
 * and TTL indexes created at start, and the GridFS bucket `blobs`. Same ports and contract suite as the
 * embedded store. `transaction`
 * is a multi-document transaction on a replica set (mongo-transactions.ts); on a standalone server the work
 * runs without one.
 */
import type { Store, StoreKeys } from '../store-ports.js';
import { migrateAccountPortals, mongoAccountRepository } from './mongo-account-repository.js';
import { ensureAdminIndexes, mongoAdminRepositories } from './mongo-admin-store.js';
import { mongoBlobStore } from './mongo-blob-store.js';
import { mongoCertificateNameRepository } from './mongo-certificate-name-repository.js';
import { connectMongo } from './mongo-connection.js';
import { mongoEnrollmentRepository } from './mongo-enrollment-repository.js';
import { mongoError } from './mongo-errors.js';
import { mongoGrantRepository } from './mongo-grant-repository.js';
import { mongoLeaseRepository } from './mongo-lease-repository.js';
import { mongoPortalRepository } from './mongo-portal-repository.js';
import { mongoServiceKeyRepository } from './mongo-service-key-repository.js';
import { mongoSignLogCheckpointRepository } from './mongo-sign-log-checkpoint-repository.js';
import { mongoSignLogRepository } from './mongo-sign-log-repository.js';
import { mongoSignRequestRepository } from './mongo-sign-request-repository.js';
import { MongoTransactions, supportsTransactions } from './mongo-transactions.js';

/**
 * Connects to `url`, uses database `dbName`, creates the indexes.
 * @throws AppError STORE_UNAVAILABLE naming the host (never the password) when the server cannot be used,
 *   CONFIG_INVALID for a malformed connection string.
 */
export async function openMongoStore(url: string, dbName: string, keys: StoreKeys): Promise<Store> {
  const { client, db } = await connectMongo(url, dbName);
  await ensureAdminIndexes(db);
  try {
    await migrateAccountPortals(db);
  } catch (e) {
    await client.close().catch(() => undefined);
    throw mongoError(e, 'cannot give existing accounts their portal');
  }
  const tx = new MongoTransactions(client, await supportsTransactions(db));
  const leases = mongoLeaseRepository(db);
  return {
    kind: 'mongodb',
    accounts: mongoAccountRepository(db, tx),
    enrollments: mongoEnrollmentRepository(db, tx),
    grants: mongoGrantRepository(db, tx),
    certificateNames: mongoCertificateNameRepository(db, tx),
    signLog: mongoSignLogRepository(db, keys.signLogKey, tx),
    signLogCheckpoints: mongoSignLogCheckpointRepository(db),
    serviceKeys: mongoServiceKeyRepository(db),
    signRequests: mongoSignRequestRepository(db, tx),
    blobs: mongoBlobStore(db),
    portals: mongoPortalRepository(db, leases),
    leases,
    admin: mongoAdminRepositories(db),
    transaction: (work) => tx.run(work),
    async close() {
      await client.close();
    },
  };
}
