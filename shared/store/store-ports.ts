/**
 * The store's ports, one per aggregate. Two adapters implement them: MongoDB (production) and an
 * embedded SQLite file (evaluation and small teams). Both pass the same contract suite
 * (test/store/store-contract.ts). Operations that must be atomic under concurrency (accepting an OTP
 * step, using an enrollment link, appending to the sign log) are single port methods, so each adapter
 * can implement them with its own atomic primitive.
 */
import type { Account } from '../domain/account.js';
import type { CertificateGrant } from '../domain/certificate-grant.js';
import type { EnrollmentLink } from '../domain/enrollment-link.js';
import type { SignLogEntry, SignLogInput } from '../domain/sign-log-entry.js';

export interface AccountRepository {
  /** Throws AppError ACCOUNT_EXISTS when the login (case-insensitive) is taken. */
  create(account: Account): Promise<void>;
  get(id: string): Promise<Account | undefined>;
  getByLogin(login: string): Promise<Account | undefined>;
  findByBitrixUser(memberId: string, userId: number): Promise<Account | undefined>;
  findByEmail(email: string): Promise<Account[]>;
  list(): Promise<Account[]>;
  /** Replaces the account's mutable fields (all but id/createdAt); sets updatedAt. */
  update(account: Account): Promise<void>;
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
  /** Marks the link used if it is still unused; false when someone used it first. */
  markUsed(tokenHash: string, at: Date): Promise<boolean>;
  /** Invalidates the account's other unused links (a new link replaces old ones). */
  expireForAccount(accountId: string, at: Date): Promise<void>;
}

export interface GrantRepository {
  /** Adds or updates a grant; when `isDefault`, the account's other grants stop being default. */
  grant(grant: CertificateGrant): Promise<void>;
  revoke(accountId: string, certId: string): Promise<boolean>;
  listForAccount(accountId: string): Promise<CertificateGrant[]>;
  listForCertificate(certId: string): Promise<CertificateGrant[]>;
}

export interface SignLogRepository {
  /** Appends atomically: assigns seq = last + 1, prevHash = last hash, computes hash. */
  append(input: SignLogInput): Promise<SignLogEntry>;
  /** Entries in seq order, optionally bounded by time [from, to). */
  list(range?: { from?: Date; to?: Date }): AsyncIterable<SignLogEntry>;
}

export interface Store {
  readonly kind: 'embedded' | 'mongodb';
  readonly accounts: AccountRepository;
  readonly enrollments: EnrollmentRepository;
  readonly grants: GrantRepository;
  readonly signLog: SignLogRepository;
  close(): Promise<void>;
}
