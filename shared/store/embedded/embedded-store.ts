/**
 * The embedded store: every aggregate in one local SQLite file (WAL, full sync), for evaluation and
 * small teams. Same ports and the same contract suite as the MongoDB store.
 */
import type { Store } from '../store-ports.js';
import { embeddedAccountRepository } from './embedded-account-repository.js';
import { embeddedEnrollmentRepository } from './embedded-enrollment-repository.js';
import { embeddedGrantRepository } from './embedded-grant-repository.js';
import { embeddedSignLogRepository } from './embedded-sign-log-repository.js';
import { openSqliteDatabase } from './sqlite-database.js';

/**
 * Opens the store in `file`, creating its directory, the file and the schema when missing.
 * @throws AppError FILE_IO when the file cannot be created or opened, STORE_UNAVAILABLE when it stays busy,
 *   CONFIG_INVALID when a newer SignService wrote it.
 */
export async function openEmbeddedStore(file: string): Promise<Store> {
  const db = openSqliteDatabase(file);
  return {
    kind: 'embedded',
    accounts: embeddedAccountRepository(db),
    enrollments: embeddedEnrollmentRepository(db),
    grants: embeddedGrantRepository(db),
    signLog: embeddedSignLogRepository(db),
    async close() {
      if (db.open) db.close();
    },
  };
}
