/** Test data and helpers shared by the store contract suites and the adapter tests. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { signLogEntryHash } from '../../shared/audit/sign-log-chain.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import type { Account } from '../../shared/domain/account.js';
import type { EncryptedSecret } from '../../shared/domain/encrypted-secret.js';
import type { SignLogEntry, SignLogInput } from '../../shared/domain/sign-log-entry.js';
import { AppError, type ErrorCode } from '../../shared/errors.js';
import type { SignLogRange, Store, StoreKeys } from '../../shared/store/store-ports.js';

/** A sealed secret of the right shape (the store never opens it). */
export function fakeSecret(): EncryptedSecret {
  return {
    keyId: crypto.randomBytes(4).toString('hex'),
    iv: crypto.randomBytes(12).toString('base64'),
    tag: crypto.randomBytes(16).toString('base64'),
    ciphertext: crypto.randomBytes(20).toString('base64'),
  };
}

/** A complete account; `overrides` replace top-level fields. */
export function makeAccount(overrides: Partial<Account> = {}): Account {
  const id = crypto.randomUUID();
  const created = new Date('2025-03-01T09:00:00.123Z');
  return {
    id,
    login: `user-${id.slice(0, 8)}`,
    description: 'Sales, Moscow office',
    email: undefined,
    // A linked account belongs to its link's portal unless the test says otherwise.
    memberId: overrides.bitrix?.memberId,
    bitrix: undefined,
    status: 'active',
    otpDisabled: false,
    otp: undefined,
    lockout: { failures: [], lockedUntil: undefined },
    createdAt: created,
    updatedAt: created,
    ...overrides,
  };
}

/** An enrolled account with `lastStep`. */
export function enrolled(lastStep: number, overrides: Partial<Account> = {}): Account {
  return makeAccount({
    otp: { secret: fakeSecret(), enrolledAt: new Date('2025-03-01T09:05:00Z'), lastStep },
    ...overrides,
  });
}

/** A minimal valid sign log input at `time`. */
export function logInput(time: Date, extra: Partial<SignLogInput> = {}): SignLogInput {
  return { time, action: 'signed', actor: { login: 'mary', role: 'signer' }, outcome: 'ok', otp: 'used', ...extra };
}

/** Asserts that `promise` rejects with an AppError of `code`; returns it for further checks. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  let caught: unknown;
  await promise.then(
    () => assert.fail(`expected AppError ${code}, but the call succeeded`),
    (e: unknown) => {
      caught = e;
    },
  );
  assert.ok(caught instanceof AppError, `expected AppError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** Every entry of the log, in order. */
export async function allEntries(store: Store, range?: SignLogRange): Promise<SignLogEntry[]> {
  const out: SignLogEntry[] = [];
  for await (const e of store.signLog.list(range)) out.push(e);
  return out;
}

/**
 * Entries 1..n as the SignService before the keyed chain wrote them: hashes chained, no MAC. `alter`
 * changes an entry after its hash was computed (a log tampered with before the upgrade).
 */
export function legacyEntries(n: number, alter?: { seq: number; login: string }): SignLogEntry[] {
  const out: SignLogEntry[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      seq,
      prevHash: out.at(-1)?.hash ?? '',
      ...logInput(new Date(Date.UTC(2024, 11, seq, 9)), { requestId: `legacy-${seq}` }),
    };
    const entry = { ...body, hash: signLogEntryHash(body) };
    out.push(alter?.seq === seq ? { ...entry, actor: { ...entry.actor, login: alter.login } } : entry);
  }
  return out;
}

/** Per-test store handle for the contract's groups. */
export interface StoreFixture {
  store: Store;
  /** The master key the store's sign log key comes from. */
  masterKey: MasterKey;
  /** Writes entries directly into the storage under `store`, as the SignService before the keyed chain did. */
  writeLegacyEntries(entries: SignLogEntry[]): Promise<void>;
  /** Opens a second store over the storage of `store` (what another process sees); the caller closes it. */
  reopen(): Promise<Store>;
}

/** A fresh random master key. */
export function randomMasterKey(): MasterKey {
  return MasterKey.fromBytes(crypto.randomBytes(32));
}

/** How a contract run opens an adapter's store and writes under it. */
export interface StoreAdapter {
  /** A store over EMPTY storage on every call. */
  open(keys: StoreKeys): Promise<Store>;
  /** Writes old-format entries (no MAC) straight into the storage of `store`, past the adapter. */
  writeLegacyEntries(store: Store, entries: SignLogEntry[]): Promise<void>;
  /** A second store over the storage of `store` (another process's connection to the same file/database). */
  reopen(store: Store, keys: StoreKeys): Promise<Store>;
}
