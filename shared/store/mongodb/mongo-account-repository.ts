/**
 * Accounts in MongoDB, `_id` = account id. Absent optional values are stored as null (so an update can
 * clear them) and read back as undefined. The atomic operations are single-document updates with a
 * filter, MongoDB's compare-and-set: a document matches the filter and is changed in one step.
 */
import type { Collection, Db, Document } from 'mongodb';
import type { Account } from '../../domain/account.js';
import type { EncryptedSecret } from '../../domain/encrypted-secret.js';
import { AppError, ErrorCode } from '../../errors.js';
import { assertPortalBinding, assertValidLogin, emailKey, loginKey } from '../store-keys.js';
import type { AccountRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, mongoError, withMongoErrors } from './mongo-errors.js';
import { tallyDue, tallyPipeline } from './mongo-failure-tally.js';
import type { MongoTransactions } from './mongo-transactions.js';

/** An account as stored in the `accounts` collection. */
export interface AccountDocument {
  _id: string;
  login: string;
  loginLower: string;
  description: string;
  email: string | null;
  emailLower: string | null;
  /** The account's portal; null for a service-wide account. Absent in documents written before (migrated at start). */
  memberId?: string | null;
  bitrix: { memberId: string; userId: number } | null;
  status: Account['status'];
  otpDisabled: boolean;
  otp: { secret: EncryptedSecret; enrolledAt: Date; lastStep: number } | null;
  lockout: { failures: Date[]; lockedUntil: Date | null };
  /** Absent in documents written before accounts had a language: read as "not set". */
  language?: 'en' | 'ru' | null;
  /** The account's IANA time zone; absent or null: not set. */
  timeZone?: string | null;
  createdAt: Date;
  updatedAt: Date;
  /**
   * The rate limit of `otp_failed` entries (takeOtpFailureTally): attempts not counted by an entry yet, and
   * when the last entry took the tally. Kept out of the Account; `update` leaves it alone.
   */
  otpFailLog?: { tally: number; loggedAt: Date | null };
}

const secretCopy = (s: EncryptedSecret): EncryptedSecret => ({
  keyId: s.keyId,
  iv: s.iv,
  tag: s.tag,
  ciphertext: s.ciphertext,
});

/** The stored form of an account. */
export function toAccountDocument(a: Account): AccountDocument {
  return {
    _id: a.id,
    login: a.login,
    loginLower: loginKey(a.login),
    description: a.description,
    email: a.email ?? null,
    emailLower: a.email ? emailKey(a.email) : null,
    memberId: a.memberId ?? null,
    bitrix: a.bitrix ? { memberId: a.bitrix.memberId, userId: a.bitrix.userId } : null,
    status: a.status,
    otpDisabled: a.otpDisabled,
    otp: a.otp ? { secret: secretCopy(a.otp.secret), enrolledAt: a.otp.enrolledAt, lastStep: a.otp.lastStep } : null,
    lockout: { failures: [...a.lockout.failures], lockedUntil: a.lockout.lockedUntil ?? null },
    language: a.language ?? null,
    timeZone: a.timeZone ?? null,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

/** The account a stored document describes. */
export function fromAccountDocument(d: AccountDocument): Account {
  return {
    id: d._id,
    login: d.login,
    description: d.description,
    email: d.email ?? undefined,
    // Documents from before accounts had a portal: a linked account belongs to its link's portal.
    memberId: d.memberId ?? d.bitrix?.memberId ?? undefined,
    bitrix: d.bitrix ? { memberId: d.bitrix.memberId, userId: d.bitrix.userId } : undefined,
    status: d.status,
    otpDisabled: d.otpDisabled,
    otp: d.otp
      ? { secret: secretCopy(d.otp.secret), enrolledAt: d.otp.enrolledAt, lastStep: d.otp.lastStep }
      : undefined,
    lockout: { failures: d.lockout?.failures ?? [], lockedUntil: d.lockout?.lockedUntil ?? undefined },
    ...(d.language === 'en' || d.language === 'ru' ? { language: d.language } : {}),
    ...(d.timeZone ? { timeZone: d.timeZone } : {}),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/**
 * The update pipeline that replaces the mutable fields. Values go through $literal (a description may
 * start with '$', which a pipeline would read as a field path); the last accepted OTP step never goes
 * down, so a stale read-modify-write cannot reopen a used code [RFC 6238 §5.2].
 */
export function accountUpdatePipeline(a: Account): Document[] {
  const { _id, createdAt, otp, otpFailLog, ...rest } = toAccountDocument(a);
  const set: Document = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, { $literal: v }]));
  set.otp = otp
    ? { $mergeObjects: [{ $literal: otp }, { lastStep: { $max: [{ $literal: otp.lastStep }, '$otp.lastStep'] } }] }
    : { $literal: null };
  return [{ $set: set }];
}

function existsError(error: unknown, a: Account): AppError {
  if (isDuplicateKey(error, 'login_unique')) {
    return new AppError(ErrorCode.ACCOUNT_EXISTS, `An account with the login '${a.login}' exists already`);
  }
  if (isDuplicateKey(error, 'bitrix_user_unique')) {
    return new AppError(
      ErrorCode.ACCOUNT_EXISTS,
      `Bitrix24 user ${a.bitrix?.userId} of portal ${a.bitrix?.memberId} is linked to another account already`,
    );
  }
  if (isDuplicateKey(error))
    return new AppError(ErrorCode.ACCOUNT_EXISTS, `An account with the id ${a.id} exists already`);
  return mongoError(error, `cannot save account '${a.login}'`);
}

const notFound = (id: string) => new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `No account with id ${id}`);

/**
 * Gives accounts written before accounts had a portal their `memberId`: the link's portal, or null
 * (service-wide). Idempotent; run at start, so `list({ memberId })` finds them.
 */
export async function migrateAccountPortals(db: Db): Promise<void> {
  await db
    .collection<AccountDocument>(COLLECTIONS.accounts)
    .updateMany({ memberId: { $exists: false } }, [{ $set: { memberId: { $ifNull: ['$bitrix.memberId', null] } } }]);
}

/** The AccountRepository over MongoDB. */
export function mongoAccountRepository(db: Db, tx: MongoTransactions): AccountRepository {
  const col: Collection<AccountDocument> = db.collection<AccountDocument>(COLLECTIONS.accounts);
  const one = async (filter: Document) => {
    const doc = await col.findOne(filter, tx.options());
    return doc ? fromAccountDocument(doc) : undefined;
  };
  const exists = async (id: string) => (await col.countDocuments({ _id: id }, { limit: 1, ...tx.options() })) === 1;

  return withMongoErrors('accounts', {
    async create(account) {
      assertValidLogin(account.login);
      assertPortalBinding(account);
      try {
        await col.insertOne(toAccountDocument(account), tx.options());
      } catch (e) {
        throw existsError(e, account);
      }
    },
    get: (id) => one({ _id: id }),
    getByLogin: (login) => one({ loginLower: loginKey(login) }),
    findByBitrixUser: (memberId, userId) => one({ 'bitrix.memberId': memberId, 'bitrix.userId': userId }),
    async findByEmail(email) {
      const docs = await col
        .find({ emailLower: emailKey(email) }, tx.options())
        .sort({ loginLower: 1 })
        .toArray();
      return docs.map(fromAccountDocument);
    },
    async list(filter = {}) {
      const query = filter.memberId === undefined ? {} : { memberId: filter.memberId };
      return (await col.find(query, tx.options()).sort({ loginLower: 1 }).toArray()).map(fromAccountDocument);
    },
    async update(account) {
      assertValidLogin(account.login);
      assertPortalBinding(account);
      let matched: number;
      try {
        matched = (await col.updateOne({ _id: account.id }, accountUpdatePipeline(account), tx.options())).matchedCount;
      } catch (e) {
        throw existsError(e, account);
      }
      if (matched === 0) throw notFound(account.id);
    },
    async acceptOtpStep(accountId, step) {
      // Compare-and-set: only a document whose last step is lower matches; of concurrent callers, one wins.
      const result = await col.updateOne(
        { _id: accountId, 'otp.lastStep': { $lt: step } },
        { $set: { 'otp.lastStep': step } },
        tx.options(),
      );
      if (result.modifiedCount === 1) return true;
      if (!(await exists(accountId))) throw notFound(accountId);
      return false;
    },
    async recordOtpFailure(accountId, at, windowStart) {
      // One pipeline update: append this failure and drop those before the window, atomically.
      const doc = await col.findOneAndUpdate(
        { _id: accountId },
        [
          {
            $set: {
              'lockout.failures': {
                $filter: {
                  input: { $concatArrays: [{ $ifNull: ['$lockout.failures', []] }, [{ $literal: at }]] },
                  as: 'failure',
                  cond: { $gte: ['$$failure', { $literal: windowStart }] },
                },
              },
            },
          },
        ],
        { returnDocument: 'after', projection: { 'lockout.failures': 1 }, ...tx.options() },
      );
      if (!doc) throw notFound(accountId);
      return doc.lockout.failures.length;
    },
    async setLockedUntil(accountId, until) {
      const set = until ? { 'lockout.lockedUntil': until } : { 'lockout.lockedUntil': null, 'lockout.failures': [] };
      if ((await col.updateOne({ _id: accountId }, { $set: set }, tx.options())).matchedCount === 0)
        throw notFound(accountId);
    },
    async linkBitrixUser(accountId, target, at) {
      // Compare-and-set: only an unlinked account of that portal matches; the unique index settles a race
      // for the same user.
      try {
        const result = await col.updateOne(
          { _id: accountId, memberId: target.memberId, bitrix: null },
          { $set: { bitrix: { memberId: target.memberId, userId: target.userId }, updatedAt: at } },
        );
        return result.modifiedCount === 1;
      } catch (e) {
        if (isDuplicateKey(e, 'bitrix_user_unique')) return false;
        throw e;
      }
    },
    async takeOtpFailureTally(accountId, at, { add, minGapMs }) {
      // One findOneAndUpdate, returning the state it changed: a read and a write apart would race.
      const before = await col.findOneAndUpdate({ _id: accountId }, tallyPipeline(at, add, minGapMs), {
        returnDocument: 'before',
        projection: { otpFailLog: 1 },
        ...tx.options(),
      });
      if (!before) throw notFound(accountId);
      // The update applied tallyDue to exactly this before-image (one atomic document update).
      const tally = (before.otpFailLog?.tally ?? 0) + add;
      return tallyDue(tally, before.otpFailLog?.loggedAt ?? null, at, minGapMs) ? tally : 0;
    },
  });
}
