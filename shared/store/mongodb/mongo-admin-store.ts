/**
 * Operators, panel sessions, API tokens and settings in MongoDB: `operators` (_id = lower-cased login),
 * `admin_sessions` (_id = session id hash; a TTL index removes them after their absolute end),
 * `api_tokens` (unique hash; one live token per name through a partial unique index) and `settings`.
 * Counters and the TOTP replay guard are single-document pipeline updates, atomic on the server.
 */
import type { Collection, Db } from 'mongodb';
import type { AdminSession } from '../../domain/admin-session.js';
import type { ApiToken } from '../../domain/api-token.js';
import type { Operator } from '../../domain/operator.js';
import { AppError, ErrorCode } from '../../errors.js';
import type { AdminRepositories } from '../admin-ports.js';
import { assertValidLogin, loginKey } from '../store-keys.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';

export const ADMIN_COLLECTIONS = {
  operators: 'operators',
  sessions: 'admin_sessions',
  apiTokens: 'api_tokens',
  settings: 'settings',
} as const;

type OperatorDoc = Omit<Operator, 'lockedUntil' | 'totp'> & {
  _id: string;
  lockedUntil: Date | null;
  totp: (Omit<NonNullable<Operator['totp']>, 'confirmedAt'> & { confirmedAt: Date | null }) | null;
};
type SessionDoc = AdminSession & { _id: string };
type TokenDoc = Omit<ApiToken, 'id' | 'memberId' | 'revokedAt' | 'lastUsedAt'> & {
  _id: string;
  live: boolean;
  memberId: string | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
};

/** Creates the indexes (idempotent). */
export async function ensureAdminIndexes(db: Db): Promise<void> {
  await db
    .collection(ADMIN_COLLECTIONS.sessions)
    .createIndexes([{ key: { expiresAt: 1 }, name: 'expires_ttl', expireAfterSeconds: 0 }]);
  await db.collection(ADMIN_COLLECTIONS.apiTokens).createIndexes([
    { key: { hash: 1 }, name: 'hash_unique', unique: true },
    { key: { name: 1 }, name: 'live_name_unique', unique: true, partialFilterExpression: { live: true } },
  ]);
}

function fromOperator(d: OperatorDoc): Operator {
  return {
    login: d.login,
    passwordHash: d.passwordHash,
    totp: d.totp
      ? { secret: d.totp.secret, confirmedAt: d.totp.confirmedAt ?? undefined, lastStep: d.totp.lastStep }
      : undefined,
    failures: d.failures ?? [],
    lockedUntil: d.lockedUntil ?? undefined,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function toOperator(o: Operator): OperatorDoc {
  return {
    _id: loginKey(o.login),
    ...o,
    lockedUntil: o.lockedUntil ?? null,
    totp: o.totp ? { ...o.totp, confirmedAt: o.totp.confirmedAt ?? null } : null,
  };
}

const notFound = (login: string) => new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `There is no operator '${login}'`);

function operators(db: Db): AdminRepositories['operators'] {
  const col: Collection<OperatorDoc> = db.collection<OperatorDoc>(ADMIN_COLLECTIONS.operators);
  return withMongoErrors('operators', {
    async create(operator) {
      assertValidLogin(operator.login);
      try {
        await col.insertOne(toOperator(operator));
      } catch (e) {
        if (isDuplicateKey(e))
          throw new AppError(ErrorCode.ACCOUNT_EXISTS, `An operator '${operator.login}' exists already`);
        throw e;
      }
    },
    async get(login) {
      const d = await col.findOne({ _id: loginKey(login) });
      return d ? fromOperator(d) : undefined;
    },
    async list() {
      return (await col.find({}).sort({ _id: 1 }).toArray()).map(fromOperator);
    },
    async update(operator) {
      const { _id, ...rest } = toOperator(operator);
      const r = await col.updateOne({ _id }, { $set: rest });
      if (r.matchedCount === 0) throw notFound(operator.login);
    },
    async recordFailure(login, at, windowStart) {
      const d = await col.findOneAndUpdate(
        { _id: loginKey(login) },
        [
          {
            $set: {
              failures: {
                $filter: {
                  input: { $concatArrays: [{ $ifNull: ['$failures', []] }, [{ $literal: at }]] },
                  as: 'f',
                  cond: { $gte: ['$$f', { $literal: windowStart }] },
                },
              },
            },
          },
        ],
        { returnDocument: 'after', projection: { failures: 1 } },
      );
      if (!d) throw notFound(login);
      return d.failures.length;
    },
    async setLockedUntil(login, until) {
      const r = await col.updateOne(
        { _id: loginKey(login) },
        { $set: until ? { lockedUntil: until } : { lockedUntil: null, failures: [] } },
      );
      if (r.matchedCount === 0) throw notFound(login);
    },
    async acceptTotpStep(login, step) {
      const r = await col.updateOne(
        { _id: loginKey(login), 'totp.lastStep': { $lt: step } },
        { $set: { 'totp.lastStep': step } },
      );
      if (r.modifiedCount === 1) return true;
      if ((await col.countDocuments({ _id: loginKey(login) })) === 0) throw notFound(login);
      return false;
    },
  });
}

function sessions(db: Db): AdminRepositories['sessions'] {
  const col: Collection<SessionDoc> = db.collection<SessionDoc>(ADMIN_COLLECTIONS.sessions);
  return withMongoErrors('adminSessions', {
    async create(session) {
      await col.insertOne({ _id: session.idHash, ...session });
    },
    async get(idHash) {
      const d = await col.findOne({ _id: idHash });
      if (!d) return undefined;
      const { _id, ...session } = d;
      return session;
    },
    async touch(idHash, at) {
      await col.updateOne({ _id: idHash, lastSeenAt: { $lt: at } }, { $set: { lastSeenAt: at } });
    },
    async delete(idHash) {
      return (await col.deleteOne({ _id: idHash })).deletedCount === 1;
    },
    async deleteExpired(at) {
      return (await col.deleteMany({ expiresAt: { $lt: at } })).deletedCount;
    },
  });
}

function fromToken(d: TokenDoc): ApiToken {
  return {
    id: d._id,
    name: d.name,
    hash: d.hash,
    scope: d.scope,
    memberId: d.memberId ?? undefined,
    createdAt: d.createdAt,
    createdBy: d.createdBy,
    revokedAt: d.revokedAt ?? undefined,
    lastUsedAt: d.lastUsedAt ?? undefined,
  };
}

function apiTokens(db: Db): AdminRepositories['apiTokens'] {
  const col: Collection<TokenDoc> = db.collection<TokenDoc>(ADMIN_COLLECTIONS.apiTokens);
  return withMongoErrors('apiTokens', {
    async create(t) {
      const { id, ...rest } = t;
      const doc: TokenDoc = {
        _id: id,
        ...rest,
        live: t.revokedAt === undefined,
        memberId: t.memberId ?? null,
        revokedAt: t.revokedAt ?? null,
        lastUsedAt: t.lastUsedAt ?? null,
      };
      try {
        await col.insertOne(doc);
      } catch (e) {
        if (isDuplicateKey(e)) throw new AppError(ErrorCode.ACCOUNT_EXISTS, `A token '${t.name}' exists already`);
        throw e;
      }
    },
    async getByHash(hash) {
      const d = await col.findOne({ hash });
      return d ? fromToken(d) : undefined;
    },
    async list() {
      return (await col.find({}).sort({ createdAt: 1 }).toArray()).map(fromToken);
    },
    async revoke(idOrName, at) {
      const r = await col.updateOne(
        { live: true, $or: [{ _id: idOrName }, { name: idOrName }] },
        { $set: { live: false, revokedAt: at } },
      );
      return r.modifiedCount === 1;
    },
    async touch(id, at) {
      await col.updateOne({ _id: id }, { $set: { lastUsedAt: at } });
    },
  });
}

function settings(db: Db): AdminRepositories['settings'] {
  const col = db.collection<{ _id: string; value: unknown }>(ADMIN_COLLECTIONS.settings);
  return withMongoErrors('settings', {
    async get(key) {
      return (await col.findOne({ _id: key }))?.value;
    },
    async set(key, value) {
      await col.updateOne({ _id: key }, { $set: { value } }, { upsert: true });
    },
  });
}

/** The admin repositories over MongoDB (call ensureAdminIndexes once at start). */
export function mongoAdminRepositories(db: Db): AdminRepositories {
  return { operators: operators(db), sessions: sessions(db), apiTokens: apiTokens(db), settings: settings(db) };
}
