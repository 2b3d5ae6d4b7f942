/**
 * The store's ports for administration: operators, panel sessions, API tokens and service settings.
 * Both adapters implement them (embedded SQLite, MongoDB); test/store/admin-contract.ts is their suite.
 */
import type { AdminSession } from '../domain/admin-session.js';
import type { ApiToken } from '../domain/api-token.js';
import type { Operator } from '../domain/operator.js';

export interface OperatorRepository {
  /** @throws AppError ACCOUNT_EXISTS when the login (case-insensitive) is taken. */
  create(operator: Operator): Promise<void>;
  get(login: string): Promise<Operator | undefined>;
  list(): Promise<Operator[]>;
  /** Replaces the operator's mutable fields. @throws AppError ACCOUNT_NOT_FOUND */
  update(operator: Operator): Promise<void>;
  /** Records a failed sign-in at `at`, drops failures before `windowStart`; returns the failures left. */
  recordFailure(login: string, at: Date, windowStart: Date): Promise<number>;
  /** Sets or clears the lock (clearing forgets the failures too). */
  setLockedUntil(login: string, until: Date | undefined): Promise<void>;
  /** Compare-and-set of the TOTP replay guard: true only when `step` is above the stored last step. */
  acceptTotpStep(login: string, step: number): Promise<boolean>;
}

export interface AdminSessionRepository {
  create(session: AdminSession): Promise<void>;
  get(idHash: string): Promise<AdminSession | undefined>;
  /** Moves lastSeenAt forward (idle timeout). */
  touch(idHash: string, at: Date): Promise<void>;
  /** Ends the session; true when it existed. */
  delete(idHash: string): Promise<boolean>;
  /** Removes sessions whose absolute end is before `at` (housekeeping; the checks do not rely on it). */
  deleteExpired(at: Date): Promise<number>;
}

export interface ApiTokenRepository {
  /** @throws AppError ACCOUNT_EXISTS when an unrevoked token has this name. */
  create(token: ApiToken): Promise<void>;
  getByHash(hash: string): Promise<ApiToken | undefined>;
  list(): Promise<ApiToken[]>;
  /** Revokes by id or name; false when no unrevoked token matched. */
  revoke(idOrName: string, at: Date): Promise<boolean>;
  touch(id: string, at: Date): Promise<void>;
}

/** Small service-wide settings as JSON values under a key. */
export interface SettingsRepository {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export interface AdminRepositories {
  readonly operators: OperatorRepository;
  readonly sessions: AdminSessionRepository;
  readonly apiTokens: ApiTokenRepository;
  readonly settings: SettingsRepository;
}
