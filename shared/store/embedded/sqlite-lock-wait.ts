/**
 * Waiting for another process's SQLite write lock without stopping this process. SQLite's own busy handler
 * (`busy_timeout`) sleeps inside the call — 1, 2, 5, 10… ms [SQLite source, sqliteDefaultBusyCallback] — and
 * better-sqlite3 runs every call on the JavaScript thread, so while a worker waits for the lock of the file
 * the submitting service and the other workers share, none of its other jobs runs: measured in
 * `npm run bench:pipeline`, a compare-and-set took 0.3 ms at the median but 2–3.5 ms at p90 and 9–21 ms at p99,
 * and both workers spent about a sixth of their time asleep in it. Here a call is tried with `busy_timeout = 0`
 * and, when the file is busy, tried again after a timer, so the event loop serves the other jobs meanwhile; it
 * gives up after the same 15 s the blocking wait allowed (STORE_UNAVAILABLE, a transient error).
 *
 * Trying again is safe because a busy SQLite call changed nothing: an autocommit statement that cannot get
 * the lock does not run, and a transaction (better-sqlite3's `db.transaction`, BEGIN IMMEDIATE) that meets a
 * busy file is rolled back whole. Repository methods make at most one autocommit write; several writes go in
 * one transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, ErrorCode } from '../../errors.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** Pauses between tries (ms), the last one repeated: short at first, as a commit holds the lock for < 1 ms. */
const PAUSES_MS = [1, 1, 2, 2, 4, 4, 8];

/** True for SQLite's "database is busy" (any extended code), raw or as the store's AppError around it. */
export function isSqliteBusy(error: unknown): boolean {
  const cause = error instanceof AppError && error.code === ErrorCode.STORE_UNAVAILABLE ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export class SqliteLockWait {
  private readonly noWait;
  private readonly wait;

  /** `timeoutMs`: the connection's own busy timeout, restored after each try and the limit of the wait. */
  constructor(
    db: SqliteDatabase,
    private readonly timeoutMs: number,
  ) {
    this.noWait = db.prepare('PRAGMA busy_timeout = 0');
    this.wait = db.prepare(`PRAGMA busy_timeout = ${Math.floor(timeoutMs)}`);
  }

  /**
   * Runs `call` (an async repository method or a synchronous statement) until it is not busy. Only the part
   * of `call` that runs before its first await is tried without SQLite's sleep; anything after keeps the
   * connection's timeout.
   */
  async run<T>(call: () => T | Promise<T>): Promise<T> {
    const deadline = performance.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(call);
      } catch (error) {
        if (!isSqliteBusy(error) || performance.now() >= deadline) throw error;
      }
      await sleep(PAUSES_MS[Math.min(attempt, PAUSES_MS.length - 1)]);
    }
  }

  private once<T>(call: () => T | Promise<T>): T | Promise<T> {
    this.noWait.get();
    try {
      return call();
    } finally {
      this.wait.get();
    }
  }
}
