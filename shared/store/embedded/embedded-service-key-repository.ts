/**
 * The service key in the embedded store (table `service_keys`): inserted only if none exists, and whoever
 * lost a race between processes reads the winner's, so every process signs with the same key.
 */
import type { StoredServiceKey } from '../../domain/sign-log-checkpoint.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { ServiceKeyRepository } from '../store-ports.js';
import { type SqliteDatabase, withStoreErrors } from './sqlite-database.js';

interface ServiceKeyRow {
  certificate: string;
  sealed_key: string;
  created_at: string;
}

/** The sign log key's id (a table keyed by id leaves room for other service keys later). */
const SIGN_LOG_KEY_ID = 'sign-log';

function keyFromRow(r: ServiceKeyRow): StoredServiceKey {
  let sealedKey: StoredServiceKey['sealedKey'];
  try {
    sealedKey = JSON.parse(r.sealed_key);
  } catch {
    throw new AppError(
      ErrorCode.SIGN_LOG_BROKEN,
      'the sign log service key in the store is unreadable: the store file was edited outside SignService',
    );
  }
  return { certificate: Buffer.from(r.certificate, 'base64'), sealedKey, createdAt: new Date(r.created_at) };
}

/** The ServiceKeyRepository over the embedded SQLite file. */
export function embeddedServiceKeyRepository(db: SqliteDatabase): ServiceKeyRepository {
  const get = db.prepare<[string], ServiceKeyRow>('SELECT * FROM service_keys WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO service_keys (id, certificate, sealed_key, created_at) VALUES (@id, @certificate, @sealedKey, @createdAt)
     ON CONFLICT (id) DO NOTHING`,
  );
  return withStoreErrors('serviceKeys', {
    async get() {
      const row = get.get(SIGN_LOG_KEY_ID);
      return row ? keyFromRow(row) : undefined;
    },
    async create(key) {
      insert.run({
        id: SIGN_LOG_KEY_ID,
        certificate: key.certificate.toString('base64'),
        sealedKey: JSON.stringify(key.sealedKey),
        createdAt: key.createdAt.toISOString(),
      });
      return keyFromRow(get.get(SIGN_LOG_KEY_ID)!);
    },
  });
}
