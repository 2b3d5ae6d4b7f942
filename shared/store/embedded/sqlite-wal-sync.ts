/**
 * The durability of the embedded store's writes, off the JavaScript thread. With `synchronous=FULL` SQLite
 * syncs the write-ahead log inside every COMMIT: on the JavaScript thread (better-sqlite3 is synchronous) and
 * while the write lock is held, so the worker stops and the other processes wait. The store runs with
 * `synchronous=NORMAL` instead — commits are ordered and the file stays consistent after a power cut [SQLite
 * docs, "PRAGMA synchronous": in WAL mode NORMAL "is safe from corruption"; the WAL is synced before each
 * checkpoint and the database after it] — and a write's caller goes on only once this fdatasync of the WAL,
 * run in libuv's thread pool, has put everything written before it on stable storage: the promise of FULL
 * (a write its caller saw succeed survives a power cut), without the stop. Writes of several flows that end
 * while one sync runs share the next one.
 */
import fsp from 'node:fs/promises';
import { AppError, ErrorCode } from '../../errors.js';
import { errnoSentence } from '../../fs/file-error.js';

export class WalSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Completed syncs (for tests and metrics). */
  count = 0;

  constructor(
    private readonly walFile: string,
    private readonly syncFile: (file: string) => Promise<void> = datasync,
  ) {}

  /**
   * Resolves once everything written to the WAL before the call is on stable storage.
   * @throws AppError FILE_IO when the sync fails (the write may be visible, but is not known to be durable)
   */
  sync(): Promise<void> {
    // A sync already running may have begun before the caller's write: the caller needs the one after it.
    if (this.running) {
      this.next ??= this.running
        .catch(() => undefined)
        .then(() => {
          this.next = undefined;
          return this.start();
        });
      return this.next;
    }
    return this.start();
  }

  private start(): Promise<void> {
    const run = this.syncFile(this.walFile)
      .then(() => {
        this.count++;
      })
      .catch((error: unknown) => {
        throw new AppError(
          ErrorCode.FILE_IO,
          `A store write could not be made durable: syncing ${this.walFile} failed: ${errnoSentence(error)}`,
          { cause: error },
        );
      })
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }
}

/**
 * fdatasync of `file`. No file, nothing to sync: SQLite removes the log only after the last connection checkpointed
 * it into the database file, which it syncs then.
 */
async function datasync(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return;
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
