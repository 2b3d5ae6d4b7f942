/**
 * The embedded store's SQLite file: opened in WAL mode with `synchronous=NORMAL`, and a write's caller goes
 * on only once the WAL is synced (sqlite-wal-sync.ts), so a write it saw succeed (a sign log entry above
 * all) survives a power cut, as with FULL, without FULL's fsync on the JavaScript thread inside the write
 * lock; readers in other processes never block the writer. The schema is created on
 * first open and migrated step by step (sqlite-schema.ts `MIGRATIONS`); `user_version` records its version
 * so a newer file is refused rather than misread.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError, ErrorCode } from '../../errors.js';
import { errnoSentence } from '../../fs/file-error.js';
import { createPrivateFile } from '../../fs/private-data-dir.js';
import { withErrorMapping } from '../with-error-mapping.js';
import { MIGRATIONS, SCHEMA_VERSION } from './sqlite-schema.js';
import { assertStoreNotLost, markStoreCreated, storeIsNew } from './store-marker.js';

export type SqliteDatabase = Database.Database;

/** How long a writer waits for another process's write transaction before giving up (ms). */
export const BUSY_TIMEOUT_MS = 15_000;

/** Turns a better-sqlite3 error into the AppError an operator can act on. */
export function sqliteError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new AppError(ErrorCode.STORE_UNAVAILABLE, `${what}: the store file is busy (${message})`, { cause: error });
  }
  if (typeof code === 'string' && /^SQLITE_(FULL|IOERR|CANTOPEN|READONLY|PERM)/.test(code)) {
    return new AppError(ErrorCode.FILE_IO, `${what}: ${message} (${code})`, { cause: error });
  }
  return new AppError(ErrorCode.INTERNAL, `${what}: ${message}`, { cause: error });
}

/** True for a UNIQUE or PRIMARY KEY violation; `column` narrows it to one index ("accounts.login_key"). */
export function isUniqueViolation(error: unknown, column?: string): boolean {
  const code = (error as { code?: unknown })?.code;
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
  return column === undefined || (error as Error).message.includes(column);
}

/** Every repository method's driver errors become AppErrors (see with-error-mapping.ts). */
export function withStoreErrors<T extends object>(name: string, repository: T): T {
  return withErrorMapping(name, repository, sqliteError);
}

function checkVersion(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new AppError(
      ErrorCode.CONFIG_INVALID,
      `The store file ${file} has schema version ${version}, newer than this SignService understands ` +
        `(${SCHEMA_VERSION}); upgrade SignService or point SIGNSERVICE_DATA_DIR elsewhere`,
    );
  }
}

function migrate(db: SqliteDatabase, file: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  checkVersion(version(), file);
  if (version() === SCHEMA_VERSION) return;
  // IMMEDIATE, and the version read again inside: two processes opening a new file at once must not
  // both create the schema.
  db.transaction(() => {
    checkVersion(version(), file);
    for (let from = version(); from < SCHEMA_VERSION; from++) db.exec(MIGRATIONS[from] as string);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Leaves the store marker; a store made before markers existed gets one too, unless its directory is read-only. */
function markCreated(file: string, created: boolean): void {
  try {
    markStoreCreated(file);
  } catch (error) {
    if (created) throw error;
  }
}

/**
 * Opens (creating the directory, the file and the schema when missing) the store's SQLite file, owner-only. A
 * missing or empty file where an earlier store evidently lived is refused (store-marker.ts).
 */
export function openSqliteDatabase(file: string): SqliteDatabase {
  try {
    // 0700 / 0600 before SQLite opens it: its -wal and -shm files copy the file's mode.
    createPrivateFile(file);
  } catch (e) {
    throw new AppError(
      ErrorCode.FILE_IO,
      `Cannot create the store directory ${path.dirname(file)}: ${errnoSentence(e)}`,
    );
  }
  assertStoreNotLost(file);
  const created = storeIsNew(file);
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    // NORMAL, with each write's caller waiting for sqlite-wal-sync.ts: FULL's promise without its stop.
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
    markCreated(file, created);
    return db;
  } catch (e) {
    db?.close();
    throw sqliteError(e, `cannot open the store file ${file}`);
  }
}
