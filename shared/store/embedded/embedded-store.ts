/**
 * The embedded store: every aggregate in one local SQLite file (WAL, full sync), for evaluation and
 * small teams. Same ports and the same contract suite as the MongoDB store. `transaction` is one IMMEDIATE
 * SQLite transaction (sqlite-transactions.ts).
 */
import path from 'node:path';
import type { AdminRepositories } from '../admin-ports.js';
import type { Store, StoreKeys } from '../store-ports.js';
import { embeddedAccountRepository } from './embedded-account-repository.js';
import { embeddedAdminRepositories } from './embedded-admin-store.js';
import { embeddedBlobStore } from './embedded-blob-store.js';
import { embeddedCertificateNameRepository } from './embedded-certificate-name-repository.js';
import { embeddedEnrollmentRepository } from './embedded-enrollment-repository.js';
import { embeddedGrantRepository } from './embedded-grant-repository.js';
import { embeddedLeaseRepository } from './embedded-lease-repository.js';
import { embeddedPortalRepository } from './embedded-portal-repository.js';
import { embeddedServiceKeyRepository } from './embedded-service-key-repository.js';
import { embeddedSignLogCheckpointRepository } from './embedded-sign-log-checkpoint-repository.js';
import { embeddedSignLogRepository } from './embedded-sign-log-repository.js';
import { embeddedSignRequestRepository } from './embedded-sign-request-repository.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { SqliteTransactions } from './sqlite-transactions.js';
import { WalSync } from './sqlite-wal-sync.js';

/** The admin repositories, each gated like the others. */
function gatedAdmin(tx: SqliteTransactions, admin: AdminRepositories): AdminRepositories {
  return {
    operators: tx.gate(admin.operators),
    sessions: tx.gate(admin.sessions),
    apiTokens: tx.gate(admin.apiTokens),
    settings: tx.gate(admin.settings),
  };
}

/**
 * Opens the store in `file`, creating its directory, the file and the schema when missing. Blobs live in
 * `blobs/` next to the file.
 * @throws AppError FILE_IO when the file cannot be created or opened, STORE_UNAVAILABLE when it stays busy,
 *   CONFIG_INVALID when a newer SignService wrote it.
 */
export async function openEmbeddedStore(file: string, keys: StoreKeys): Promise<Store> {
  const db = openSqliteDatabase(file);
  const walSync = new WalSync(`${file}-wal`);
  const tx = new SqliteTransactions(db, walSync);
  const leases = tx.gate(embeddedLeaseRepository(db));
  const store: Store = {
    kind: 'embedded',
    accounts: tx.gate(embeddedAccountRepository(db)),
    enrollments: tx.gate(embeddedEnrollmentRepository(db)),
    grants: tx.gate(embeddedGrantRepository(db)),
    certificateNames: tx.gate(embeddedCertificateNameRepository(db)),
    signLog: tx.gate(embeddedSignLogRepository(db, keys.signLogKey), ['list']),
    signLogCheckpoints: tx.gate(embeddedSignLogCheckpointRepository(db)),
    serviceKeys: tx.gate(embeddedServiceKeyRepository(db)),
    signRequests: tx.gate(embeddedSignRequestRepository(db)),
    blobs: embeddedBlobStore(path.join(path.dirname(file), 'blobs')),
    portals: tx.gate(embeddedPortalRepository(db, leases)),
    leases,
    admin: gatedAdmin(tx, embeddedAdminRepositories(db)),
    transaction: (work) => tx.run(work),
    async close() {
      if (db.open) db.close();
    },
  };
  // What opening wrote (a new schema, an upgrade) is durable before anyone relies on it.
  await walSync.sync();
  return store;
}
