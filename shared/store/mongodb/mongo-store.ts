/**
 * The MongoDB store (production): collections `accounts`, `enrollment_links`, `grants` and `sign_log`,
 * with their unique and TTL indexes created at start. Same ports and contract suite as the embedded store.
 */
import type { Store } from '../store-ports.js';
import { mongoAccountRepository } from './mongo-account-repository.js';
import { connectMongo } from './mongo-connection.js';
import { mongoEnrollmentRepository } from './mongo-enrollment-repository.js';
import { mongoGrantRepository } from './mongo-grant-repository.js';
import { mongoSignLogRepository } from './mongo-sign-log-repository.js';

/**
 * Connects to `url`, uses database `dbName`, creates the indexes.
 * @throws AppError STORE_UNAVAILABLE naming the host (never the password) when the server cannot be used,
 *   CONFIG_INVALID for a malformed connection string.
 */
export async function openMongoStore(url: string, dbName: string): Promise<Store> {
  const { client, db } = await connectMongo(url, dbName);
  return {
    kind: 'mongodb',
    accounts: mongoAccountRepository(db),
    enrollments: mongoEnrollmentRepository(db),
    grants: mongoGrantRepository(db),
    signLog: mongoSignLogRepository(db),
    async close() {
      await client.close();
    },
  };
}
