/**
 * The store's ports, one per aggregate. Two adapters implement them: MongoDB (production) and an
 * embedded SQLite file (evaluation and small teams). Both pass the same contract suite
 * (test/store/store-contract.ts). Operations that must be atomic under concurrency (accepting an OTP
 * step, using an enrollment link, appending to the sign log) are single port methods, so each adapter
 * can implement them with its own atomic primitive.
 */
import type { SignLogKey } from '../audit/sign-log-key.js';
import type { Account, BitrixUserLink } from '../domain/account.js';
import type { CertificateGrant } from '../domain/certificate-grant.js';
import type { CertificateName } from '../domain/certificate-name.js';
import type { EncryptedSecret } from '../domain/encrypted-secret.js';
import type { EnrollmentLink } from '../domain/enrollment-link.js';
import type { Portal, PortalInstall, PortalTokenUpdate } from '../domain/portal.js';
import type { NewSignLogCheckpoint, SignLogCheckpoint, StoredServiceKey } from '../domain/sign-log-checkpoint.js';
import type { SignLogEntry, SignLogInput } from '../domain/sign-log-entry.js';
import type { SignRequest, SignRequestState } from '../domain/sign-request.js';
import type { AdminRepositories } from './admin-ports.js';

/** Which accounts `AccountRepository.list` returns. */
export interface AccountFilter {
  /** Only the accounts of this portal (member_id); service-wide accounts have none and are left out. */
  memberId?: string;
}

export interface AccountRepository {
  /**
   * Throws AppError ACCOUNT_EXISTS when the login (case-insensitive) is taken, INVALID_ARGUMENT when the
   * Bitrix24 link names another portal than the account's `memberId` (also on update).
   */
  create(account: Account): Promise<void>;
  get(id: string): Promise<Account | undefined>;
  getByLogin(login: string): Promise<Account | undefined>;
  findByBitrixUser(memberId: string, userId: number): Promise<Account | undefined>;
  findByEmail(email: string): Promise<Account[]>;
  /** By login (case-insensitive order). */
  list(filter?: AccountFilter): Promise<Account[]>;
  /** Replaces the account's mutable fields (all but id/createdAt); sets updatedAt. */
  update(account: Account): Promise<void>;
  /**
   * Compare-and-set for the e-mail fallback: links the account to `link` only if it belongs to the portal
   * `link.memberId` and is linked to nobody yet. False when it is linked already, belongs to another portal
   * (or to none), or the user is linked to another account meanwhile. Never re-links.
   */
  linkBitrixUser(accountId: string, link: BitrixUserLink, at: Date): Promise<boolean>;
  /**
   * The rate limit of `otp_failed` sign-log entries, atomically: adds `add` failed attempts to the account's
   * tally of attempts no entry has counted yet; when the last entry that took the tally is at least
   * `minGapMs` old (0: always), takes the whole tally — returns it, resets it to 0 and records `at` — and
   * otherwise returns 0 (the attempts wait, counted, for the next entry).
   */
  takeOtpFailureTally(accountId: string, at: Date, options: { add: number; minGapMs: number }): Promise<number>;
  /**
   * Accepts OTP time step `step` only if it is greater than the stored `otp.lastStep` (compare-and-set):
   * the replay guard of RFC 6238 §5.2. Returns false when the step was already used.
   */
  acceptOtpStep(accountId: string, step: number): Promise<boolean>;
  /** Records a failed code at `at`, drops failures older than `windowStart`; returns the failures left. */
  recordOtpFailure(accountId: string, at: Date, windowStart: Date): Promise<number>;
  /** Sets or clears the lockout (clearing also forgets the failures). */
  setLockedUntil(accountId: string, until: Date | undefined): Promise<void>;
}

export interface EnrollmentRepository {
  create(link: EnrollmentLink): Promise<void>;
  getByTokenHash(tokenHash: string): Promise<EnrollmentLink | undefined>;
  /** Marks the link used if it is still unused, and forgets its pending secret; false when someone used it first. */
  markUsed(tokenHash: string, at: Date): Promise<boolean>;
  /**
   * Stores `secret` as the link's pending secret (replacing an earlier one) if the link is still unused and
   * not expired at `at`; false otherwise. The enrollment page makes a new secret each time the person asks.
   */
  replacePendingSecret(tokenHash: string, secret: EncryptedSecret, at: Date): Promise<boolean>;
  /** Invalidates the account's other unused links (a new link replaces old ones). */
  expireForAccount(accountId: string, at: Date): Promise<void>;
  /** The account's unused links that are still valid at `at` (the panel's "pending link"). */
  listOpenForAccount(accountId: string, at: Date): Promise<EnrollmentLink[]>;
}

export interface GrantRepository {
  /** Adds or updates a grant; when `isDefault`, the account's other grants stop being default. */
  grant(grant: CertificateGrant): Promise<void>;
  revoke(accountId: string, certId: string): Promise<boolean>;
  listForAccount(accountId: string): Promise<CertificateGrant[]>;
  listForCertificate(certId: string): Promise<CertificateGrant[]>;
}

/** The names administrators gave certificates (shared/domain/certificate-name.ts). */
export interface CertificateNameRepository {
  /** Gives `certId` the display name `name`, replacing an earlier one; `undefined` removes it. */
  set(certId: string, name: string | undefined, at: Date): Promise<void>;
  get(certId: string): Promise<CertificateName | undefined>;
  /** Every named certificate, by certId. */
  list(): Promise<CertificateName[]>;
}

/** Which entries `SignLogRepository.list` returns. */
export interface SignLogRange {
  /** Time bounds [from, to). */
  from?: Date;
  to?: Date;
  /** Only entries with seq >= fromSeq. */
  fromSeq?: number;
}

/**
 * The sign log. The adapter holds the sign log key (derived from the master key, shared/audit/sign-log-key.ts)
 * and MACs every entry it appends.
 */
export interface SignLogRepository {
  /**
   * Appends atomically: assigns seq = last + 1, prevHash = last hash, computes hash and MAC. On a log of the
   * old unkeyed format it runs `upgrade()` first, in the same atomic step where the adapter can.
   */
  append(input: SignLogInput): Promise<SignLogEntry>;
  /**
   * Appends like `append`, unless an entry with the same `dedupeKey` exists: then nothing is appended and
   * that entry is returned. Check and append are one atomic step, so a pipeline step that runs twice (a
   * redelivered job, two workers racing) leaves exactly one entry (e.g. key `signed:<requestId>`).
   */
  appendOnce(input: SignLogInput, dedupeKey: string): Promise<SignLogEntry>;
  /** Entries in seq order, optionally bounded by time [from, to) and a first seq. */
  list(range?: SignLogRange): AsyncIterable<SignLogEntry>;
  /** The last entry, or undefined for an empty log. */
  head(): Promise<SignLogEntry | undefined>;
  /**
   * Upgrades a log of the old unkeyed format: verifies its public hash chain and adds the MAC of every entry
   * that has none (SQLite: one transaction; MongoDB: deterministic values in seq order, so an interrupted or
   * concurrent upgrade ends the same). Returns how many entries got a MAC (0: nothing to do).
   * @throws AppError SIGN_LOG_BROKEN naming the entry (details.signLogSeq) when the chain is broken, or when
   *   entries lack a MAC although the log was keyed already (checkpoints or a service key exist).
   */
  upgrade(): Promise<{ upgraded: number }>;
}

/** Signed checkpoints of the sign log's head (shared/domain/sign-log-checkpoint.ts). */
export interface SignLogCheckpointRepository {
  /**
   * Stores `checkpoint` as number last + 1, if its seq is beyond the last checkpoint's (one atomic step);
   * undefined when another process checkpointed that far first.
   */
  add(checkpoint: NewSignLogCheckpoint): Promise<SignLogCheckpoint | undefined>;
  /** Every checkpoint, by number. */
  list(): Promise<SignLogCheckpoint[]>;
  last(): Promise<SignLogCheckpoint | undefined>;
  /** Checkpoints without a timestamp, oldest first, at most `limit`. */
  untimestamped(limit: number): Promise<SignLogCheckpoint[]>;
  /** Adds the timestamp token of a checkpoint that has none; false when it has one already (or is unknown). */
  setTimestamp(number: number, token: string): Promise<boolean>;
}

/** The service key that signs checkpoints; one per store, shared by every process of a deployment. */
export interface ServiceKeyRepository {
  get(): Promise<StoredServiceKey | undefined>;
  /** Stores `key` unless one exists (one atomic step); returns the stored key, which is the winner of a race. */
  create(key: StoredServiceKey): Promise<StoredServiceKey>;
}

/** Which sign requests `SignRequestRepository.list` returns. */
export interface SignRequestFilter {
  state?: SignRequestState;
  accountId?: string;
  /** Only requests last changed before this time (the recovery sweep looks for requests nobody moves). */
  updatedBefore?: Date;
  /** The requests of one batch (`SignRequest.batchId`); give `accountId` too, which the adapters index. */
  batchId?: string;
}

export interface SignRequestRepository {
  /** Stores a new request as given (its `version` included). Throws AppError INVALID_ARGUMENT for a taken id. */
  create(request: SignRequest): Promise<void>;
  get(id: string): Promise<SignRequest | undefined>;
  /**
   * Compare-and-set: replaces the stored request with `request` only if the stored version is still
   * `expectedVersion`, and stores it with version `expectedVersion + 1`. False when someone else changed (or
   * nobody created) it first: reload and decide again. Never throws for a lost race.
   */
  update(request: SignRequest, expectedVersion: number): Promise<boolean>;
  /** Newest first (createdAt, then id), at most `limit` (default 100). */
  list(filter?: SignRequestFilter, limit?: number): Promise<SignRequest[]>;
}

/**
 * Opaque bytes by key (signed documents between signing and delivery). Keys are 1–200 characters of
 * letters, digits, '.', '_' and '-', not starting with '.' (blob-key.ts); AppError INVALID_ARGUMENT otherwise.
 */
export interface BlobStore {
  /** Stores `bytes` under `key`, durably, replacing what was there; readers see the old or the new bytes, never a mix. */
  put(key: string, bytes: Buffer): Promise<void>;
  /** The bytes under `key`, or undefined. */
  get(key: string): Promise<Buffer | undefined>;
  /** Removes `key`; true when it existed. */
  delete(key: string): Promise<boolean>;
  /**
   * The file that holds `key`'s bytes, when blobs are files on this machine (the embedded store): a delivery
   * to a local file may hard-link it instead of writing the bytes again. Absent where blobs are not files.
   */
  localFile?(key: string): string;
  /** Every complete blob: its key and when it was written (the recovery sweep removes those nobody will deliver). */
  list(): AsyncIterable<{ key: string; writtenAt: Date }>;
  /**
   * Removes what interrupted puts left behind — temporary files (embedded), chunks without a file (GridFS) —
   * whose writer is gone or that were begun before `before`; returns how many it removed.
   */
  removeLeftovers(before: Date): Promise<number>;
}

/**
 * Named leases: mutual exclusion across processes (and machines sharing the store) for work that must not run
 * twice at once — a portal's OAuth refresh, the deliveries to one deal. A lease has one holder, is re-entrant
 * for its owner (taking it again extends it), is released only by its owner, and is taken over by anyone
 * once it has expired (a holder that died frees it after `ttlMs`). Names are 1–300 characters.
 */
export interface LeaseRepository {
  /**
   * Takes lease `name` for `ttlMs` if it is free, expired, or already `owner`'s (then it is extended). One
   * atomic step: of concurrent callers in any process exactly one gets true.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease if `owner` still holds it (an expired lease taken over by another owner is left alone). */
  release(name: string, owner: string): Promise<void>;
}

/**
 * Bitrix24 portals that installed the app (shared/domain/portal.ts), and the per-portal lease that makes
 * OAuth refreshes one at a time across processes (a refresh token is single-use: two processes refreshing
 * with the same one would lock the portal out). The refresh lease is the named lease
 * `portal-refresh/<member id>` (LeaseRepository).
 */
export interface PortalRepository {
  /**
   * Records an install or update: creates the portal (version 1) or replaces its endpoints, tokens and
   * application token (version + 1), status `installed`. `installedAt` is kept while the portal stays
   * installed and set to `at` when it was new or uninstalled. Returns the stored record.
   */
  upsert(install: PortalInstall): Promise<Portal>;
  get(memberId: string): Promise<Portal | undefined>;
  /** Every portal, installed or not (the panel's Portals page). */
  list(): Promise<Portal[]>;
  /**
   * Compare-and-set: stores refreshed tokens only if the portal is installed and still at `expectedVersion`
   * (then version + 1). False when it changed (a reinstall, another refresh) or is not installed.
   */
  updateTokens(memberId: string, update: PortalTokenUpdate, expectedVersion: number): Promise<boolean>;
  /**
   * ONAPPUNINSTALL: status `uninstalled`, tokens and application token dropped (version + 1); with `purge`
   * (`data[CLEAN]=1`) the record is deleted. False when the portal is unknown.
   */
  markUninstalled(memberId: string, at: Date, purge?: boolean): Promise<boolean>;
  /**
   * Takes the portal's refresh lease for `ttlMs` if it is free, expired, or already `owner`'s (then it is
   * extended). One atomic step: of concurrent callers in any process exactly one gets true.
   */
  acquireRefreshLock(memberId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease if `owner` still holds it (an expired lease taken over by another owner is left alone). */
  releaseRefreshLock(memberId: string, owner: string): Promise<void>;
}

/** Key material a store needs to open, derived from the master key by the caller. */
export interface StoreKeys {
  /** MACs the sign log's entries: `SignLogKey.fromMasterKey(masterKey)`. */
  signLogKey: SignLogKey;
}

export interface Store {
  readonly kind: 'embedded' | 'mongodb';
  /**
   * Runs `work` as one transaction: every repository call made through this store while `work` runs (in its
   * async context) is stored together or not at all — for every change that also appends to the sign log.
   * Nested calls join the open transaction. Keep `work` to store calls: other callers of this store wait
   * while it runs (embedded). SQLite: one IMMEDIATE transaction. MongoDB: a multi-document transaction on a
   * replica set (the driver may run `work` again after a write conflict); a standalone server has none, and
   * `work` runs write by write.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  readonly accounts: AccountRepository;
  readonly enrollments: EnrollmentRepository;
  readonly grants: GrantRepository;
  readonly certificateNames: CertificateNameRepository;
  readonly signLog: SignLogRepository;
  readonly signLogCheckpoints: SignLogCheckpointRepository;
  readonly serviceKeys: ServiceKeyRepository;
  readonly signRequests: SignRequestRepository;
  readonly blobs: BlobStore;
  readonly portals: PortalRepository;
  /** Named leases across processes (the portals' refresh leases among them). */
  readonly leases: LeaseRepository;
  /** Operators, panel sessions, API tokens, settings (admin-ports.ts). */
  readonly admin: AdminRepositories;
  close(): Promise<void>;
}
