/**
 * The embedded store: every aggregate in one local SQLite file (WAL, full sync), for evaluation and
 * small teams. Same ports and the same contract suite as the MongoDB store.
 */
import path from 'node:path';
import type { Store, StoreKeys } from '../store-ports.js';
import { embeddedAccountRepository } from './embedded-account-repository.js';
import { embeddedAdminRepositories } from './embedded-admin-store.js';
import { embeddedBlobStore } from './embedded-blob-store.js';
import { embeddedEnrollmentRepository } from './embedded-enrollment-repository.js';
import { embeddedGrantRepository } from './embedded-grant-repository.js';
import { embeddedPortalRepository } from './embedded-portal-repository.js';
import { embeddedServiceKeyRepository } from './embedded-service-key-repository.js';
import { embeddedSignLogCheckpointRepository } from './embedded-sign-log-checkpoint-repository.js';
import { embeddedSignLogRepository } from './embedded-sign-log-repository.js';
import { embeddedSignRequestRepository } from './embedded-sign-request-repository.js';
import { openSqliteDatabase } from './sqlite-database.js';

/**
 * Opens the store in `file`, creating its directory, the file and the schema when missing. Blobs live in
 * `blobs/` next to the file.
 * @throws AppError FILE_IO when the file cannot be created or opened, STORE_UNAVAILABLE when it stays busy,
 *   CONFIG_INVALID when a newer SignService wrote it.
 */
export async function openEmbeddedStore(file: string, keys: StoreKeys): Promise<Store> {
  const db = openSqliteDatabase(file);
  return {
    kind: 'embedded',
    accounts: embeddedAccountRepository(db),
    enrollments: embeddedEnrollmentRepository(db),
    grants: embeddedGrantRepository(db),
    signLog: embeddedSignLogRepository(db, keys.signLogKey),
    signLogCheckpoints: embeddedSignLogCheckpointRepository(db),
    serviceKeys: embeddedServiceKeyRepository(db),
    signRequests: embeddedSignRequestRepository(db),
    blobs: embeddedBlobStore(path.join(path.dirname(file), 'blobs')),
    portals: embeddedPortalRepository(db),
    admin: embeddedAdminRepositories(db),
    async close() {
      if (db.open) db.close();
    },
  };
}
