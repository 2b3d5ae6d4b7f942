/**
 * `Store.transaction` on the embedded SQLite file. better-sqlite3 runs a transaction synchronously, but the
 * repositories are asynchronous and a transaction's work awaits between them, so it is opened and closed by
 * hand: BEGIN IMMEDIATE (the write lock first: no other process can change what the work reads), the work,
 * COMMIT — a statement of its own, whose failure (a full disk) throws and leaves nothing stored — or ROLLBACK
 * when anything threw. One connection serves the whole process, so while a transaction is open every other
 * async flow's repository call waits for it (`gate`): it would otherwise run inside the transaction and
 * be committed or rolled back with work that is not its own. The flow that opened the transaction is told
 * apart by an AsyncLocalStorage context, which follows it through every await. Outside a transaction of its
 * own, a flow that finds the file busy with another process's write waits on a timer, not in SQLite's sleep
 * (sqlite-lock-wait.ts), and so does BEGIN IMMEDIATE. A call that changed rows, and every COMMIT, returns only
 * once the write-ahead log is synced (sqlite-wal-sync.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BUSY_TIMEOUT_MS, type SqliteDatabase, sqliteError } from './sqlite-database.js';
import { SqliteLockWait } from './sqlite-lock-wait.js';
import type { WalSync } from './sqlite-wal-sync.js';

export class SqliteTransactions {
  private readonly context = new AsyncLocalStorage<object>();
  /** The transaction open now (an identity token), if any. */
  private open: object | undefined;
  private waiting: Array<() => void> = [];
  private readonly lockWait: SqliteLockWait;
  private readonly totalChanges: () => number;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly walSync: WalSync,
  ) {
    this.lockWait = new SqliteLockWait(db, BUSY_TIMEOUT_MS);
    const statement = db.prepare('SELECT total_changes()').pluck();
    this.totalChanges = () => statement.get() as number;
  }

  /** Runs `work` in one transaction, or inside the open one when called from it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.open !== undefined && !this.blocked()) return work();
    // Re-checked after every wait, with no await between the check and taking the connection: flows that
    // start a transaction in the same tick (one batch answer resumes many) must not both BEGIN.
    while (this.open !== undefined) await this.idle();
    const token = {};
    this.open = token;
    let result: T;
    try {
      await this.lockWait.run(() => this.statement('BEGIN IMMEDIATE'));
      try {
        result = await this.context.run(token, work);
        this.statement('COMMIT');
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.open = undefined;
      const waiting = this.waiting;
      this.waiting = [];
      for (const wake of waiting) wake();
    }
    // After the connection is free: other flows of this process go on while the log is synced.
    await this.walSync.sync();
    return result;
  }

  /** Runs a repository call outside a transaction of this flow; if it changed rows, syncs the log first. */
  private async durably(call: () => unknown): Promise<unknown> {
    const before = this.totalChanges();
    // Another flow's change may count too: one sync more, never one less.
    const changed = () => this.totalChanges() !== before;
    let result: unknown;
    try {
      result = await this.lockWait.run(call);
    } catch (error) {
      // A call that wrote before its error (an autocommit statement) is synced as well; its error is kept.
      if (changed()) await this.walSync.sync().catch(() => undefined);
      throw error;
    }
    if (changed()) await this.walSync.sync();
    return result;
  }

  /**
   * Wraps every method of a repository (but those named in `except`: paged reads that return an async
   * iterator) so that, while another flow's transaction is open, a call waits for it to end.
   */
  gate<T extends object>(repository: T, except: readonly (keyof T & string)[] = []): T {
    const gated: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(repository)) {
      if (typeof value !== 'function' || (except as readonly string[]).includes(key)) {
        gated[key] = value;
        continue;
      }
      const call = (args: unknown[]) => () => value.apply(repository, args) as unknown;
      gated[key] = (...args: unknown[]) => {
        // Inside this flow's own transaction the write lock is held: nothing to wait for.
        if (this.open !== undefined && !this.blocked()) return call(args)();
        return this.blocked() ? this.idle().then(() => this.durably(call(args))) : this.durably(call(args));
      };
    }
    return gated as T;
  }

  /** Runs BEGIN or COMMIT; their errors (a busy file, a full disk) become the store's AppErrors. */
  private statement(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (error) {
      throw sqliteError(error, `a store transaction failed (${sql})`);
    }
  }

  /** True while a transaction of another flow is open. */
  private blocked(): boolean {
    return this.open !== undefined && this.context.getStore() !== this.open;
  }

  /** Resolves when no transaction of another flow is open. */
  private async idle(): Promise<void> {
    while (this.blocked()) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }
}
