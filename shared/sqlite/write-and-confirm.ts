/**
 * "Write and confirm": the one way to run SQLite writes whose result the caller acts on (a row returned by
 * `… RETURNING`, a changes count that decides what happens next). better-sqlite3's `Statement.get()` steps
 * once and resets the statement, and the reset's error is dropped — so an autocommit `UPDATE … RETURNING`
 * read through `.get()` returns the row even when the commit failed (SQLITE_FULL on a full disk), and the
 * caller acts on a change that was never stored. Inside an explicit transaction the COMMIT is a statement of
 * its own whose failure throws; nested calls become savepoints of the outer transaction, whose commit is
 * checked in turn.
 */
import type Database from 'better-sqlite3';

/**
 * Runs `write` in an IMMEDIATE transaction (the write lock is taken before the first read, so no other
 * process changes what `write` reads) and returns its result only after COMMIT succeeded.
 * @throws the SQLite error of any statement or of the COMMIT; nothing is stored then.
 */
export function writeAndConfirm<T>(db: Database.Database, write: () => T): T {
  return db.transaction(write).immediate();
}
