/**
 * A small pool of PKCS#11 sessions. A session runs one cryptographic operation at a time
 * (C_SignInit ... C_Sign; a second C_SignInit gives CKR_OPERATION_ACTIVE, PKCS#11 v2.40 C_SignInit), so each
 * signature checks a session out and returns it. Waiters are served first come, first served.
 */
import { AppError, ErrorCode } from '../../errors.js';

/** Opens and closes sessions for the pool; `open` may throw (token gone), and then the caller gets the error. */
export interface SessionFactory {
  open(): Buffer;
  close(session: Buffer): void;
}

interface Waiter {
  resolve(session: Buffer): void;
  reject(error: unknown): void;
}

/** Up to `size` sessions, opened on demand and reused. */
export class SessionPool {
  readonly #size: number;
  readonly #factory: SessionFactory;
  #idle: Buffer[] = [];
  /** Sessions checked out now. A session missing here on release was dropped meanwhile and is closed. */
  #busy = new Set<Buffer>();
  #waiters: Waiter[] = [];
  #closed = false;

  constructor(size: number, factory: SessionFactory) {
    this.#size = size;
    this.#factory = factory;
  }

  /**
   * Runs `operation` on a checked-out session and returns the session afterwards. After a failure the
   * session is closed instead of reused: its operation state is unknown (CKR_OPERATION_ACTIVE risk).
   */
  async use<T>(operation: (session: Buffer) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    let result: T;
    try {
      result = await operation(session);
    } catch (error) {
      this.release(session, true);
      throw error;
    }
    this.release(session);
    return result;
  }

  /** Checks a session out: an idle one, a newly opened one while below `size`, or the next one released. */
  acquire(): Promise<Buffer> {
    if (this.#closed) return Promise.reject(closedError());
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      this.#busy.add(idle);
      return Promise.resolve(idle);
    }
    if (this.#busy.size < this.#size) {
      try {
        return Promise.resolve(this.#openBusy());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Returns a session checked out with `acquire`; `discard` closes it instead of keeping it. */
  release(session: Buffer, discard = false): void {
    const wasBusy = this.#busy.delete(session); // false: dropped while checked out, a dead connection's handle
    if (wasBusy && !discard && !this.#closed) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) {
        this.#idle.push(session);
      } else {
        this.#busy.add(session);
        waiter.resolve(session);
      }
      return;
    }
    this.#closeQuietly(session);
    this.#serveWaiters();
  }

  /**
   * Forgets every session (the token was removed, or our sessions were closed or logged out): idle ones
   * are closed now, checked-out ones when they come back. Waiters get sessions opened afresh.
   */
  drop(): void {
    for (const session of this.#idle) this.#closeQuietly(session);
    this.#idle = [];
    this.#busy.clear();
    this.#serveWaiters();
  }

  /** Closes the pool: drops the sessions and fails the waiters. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(closedError());
    this.drop();
  }

  /** Sessions open and checked out, and callers waiting (for health reports and tests). */
  get stats(): { idle: number; busy: number; waiting: number } {
    return { idle: this.#idle.length, busy: this.#busy.size, waiting: this.#waiters.length };
  }

  #openBusy(): Buffer {
    const session = this.#factory.open();
    this.#busy.add(session);
    return session;
  }

  #serveWaiters(): void {
    while (!this.#closed && this.#waiters.length > 0 && this.#busy.size < this.#size) {
      const waiter = this.#waiters.shift()!;
      try {
        waiter.resolve(this.#openBusy());
      } catch (error) {
        waiter.reject(error);
      }
    }
  }

  #closeQuietly(session: Buffer): void {
    try {
      this.#factory.close(session);
    } catch {
      // The handle is already invalid (token removed, sessions closed): nothing left to release.
    }
  }
}

function closedError(): AppError {
  return new AppError(ErrorCode.TOKEN_FAILURE, 'The PKCS#11 token was closed; open it again to sign');
}
