/**
 * The live link to one token: its current slot, an "admin" session for the synchronous calls (object
 * search, attributes, login) and the login state. Signing sessions live in the session pool; this
 * session never runs an async operation, and synchronous calls cannot interleave on the JS thread.
 *
 * A connection has a generation. When a call fails because the token went away or our sessions were
 * closed (see `needsReconnect`), `invalidate` drops everything of that generation; the next call finds
 * the token again (it may sit in another slot now) and logs in again. A rejected PIN is remembered and
 * never tried again on this connection.
 */
import pkcs11js from 'pkcs11js';
import { AppError, ErrorCode } from '../../errors.js';
import type { Pkcs11Module } from './pkcs11-module.js';
import { describeToken, type Pkcs11TokenConfig } from './token-config.js';
import { loginUser } from './token-login.js';
import { findTokenSlot, type TokenSlot } from './token-slot.js';

/** Session states of a logged-in user (PKCS#11 v2.40 CK_STATE, pkcs11t.h); pkcs11js does not export CKS_*. */
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

/** Slot and logged-in session of the current generation. */
export interface LiveToken {
  slot: TokenSlot;
  session: Buffer;
}

/** Slot lookup, admin session and login of one token, re-established after failures. */
export class TokenConnection {
  readonly module: Pkcs11Module;
  /** The token as named in messages (label/serial, never the PIN). */
  readonly name: string;
  readonly #config: Pkcs11TokenConfig;
  /** Called when the connection drops, so sessions opened elsewhere (the pool) are dropped too. */
  readonly #onDrop: () => void;
  #live: LiveToken | undefined;
  #loggedIn = false;
  #loginFailure: AppError | undefined;
  #generation = 0;

  constructor(module: Pkcs11Module, config: Pkcs11TokenConfig, onDrop: () => void) {
    this.module = module;
    this.#config = config;
    this.#onDrop = onDrop;
    this.name = describeToken(config.token);
  }

  /** Increases each time the connection is dropped; operations record it to drop only their own. */
  get generation(): number {
    return this.#generation;
  }

  /** The token's slot and admin session, finding the token when needed (TOKEN_ABSENT if it is not there). */
  connect(): LiveToken {
    if (this.#live === undefined) {
      const slot = findTokenSlot(this.module.p11, this.module.path, this.#config.token);
      const session = this.module.p11.C_OpenSession(slot.slot, pkcs11js.CKF_SERIAL_SESSION);
      this.#live = { slot, session };
    }
    return this.#live;
  }

  /** `connect()` plus the user login, done once per generation and never after a rejected PIN. */
  login(): LiveToken {
    if (this.#loginFailure !== undefined) throw this.#loginFailure;
    const live = this.connect();
    if (!this.#loggedIn) {
      try {
        loginUser(this.module.p11, live.slot.slot, live.session, this.#config.pin, this.name);
      } catch (error) {
        if (isPinError(error)) this.#loginFailure = error;
        throw error;
      }
      this.#loggedIn = true;
    }
    return live;
  }

  /** The slot found last, without looking for the token (undefined after a drop). */
  get current(): LiveToken | undefined {
    return this.#live;
  }

  /** Whether the token reports our session as logged in as the user right now (asks the token). */
  isLoggedIn(): boolean {
    if (this.#live === undefined) return false;
    try {
      const { state } = this.module.p11.C_GetSessionInfo(this.#live.session);
      return state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
    } catch {
      return false;
    }
  }

  /**
   * Drops the sessions and the login of `generation` (no-op if that generation is already gone, so
   * several operations failing together reconnect once).
   */
  invalidate(generation: number): void {
    if (generation !== this.#generation) return;
    this.#generation++;
    const live = this.#live;
    this.#live = undefined;
    this.#loggedIn = false;
    if (live !== undefined) closeQuietly(this.module, live.session);
    this.#onDrop();
  }

  /** Closes the admin session; closing our last session ends our login (PKCS#11 v2.40, C_CloseSession). */
  close(): void {
    this.invalidate(this.#generation);
  }
}

function isPinError(error: unknown): error is AppError {
  return (
    error instanceof AppError &&
    (error.code === ErrorCode.TOKEN_PIN_INCORRECT || error.code === ErrorCode.TOKEN_PIN_LOCKED)
  );
}

function closeQuietly(module: Pkcs11Module, session: Buffer): void {
  try {
    module.p11.C_CloseSession(session);
  } catch {
    // already invalid: the token was removed or the sessions were closed
  }
}
