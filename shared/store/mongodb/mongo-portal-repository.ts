/**
 * Bitrix24 portals in MongoDB (`portals`, `_id` = member id). Writes are single-document operations: the
 * install is an upsert whose update pipeline computes the new version and keeps `installedAt`; a token
 * update filters on the version it read (compare-and-set). The refresh lease is the named lease
 * `portal-refresh/<member id>` (mongo-lease-repository.ts).
 */
import type { Collection, Db } from 'mongodb';
import type { Portal } from '../../domain/portal.js';
import { AppError, ErrorCode } from '../../errors.js';
import { portalRefreshLease } from '../lease-name.js';
import type { LeaseRepository, PortalRepository } from '../store-ports.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';

export const PORTAL_COLLECTIONS = { portals: 'portals' } as const;

/** A portal as stored: `_id` is the member id; absent values are null. */
export type PortalDocument = Omit<Portal, 'memberId' | 'userId' | 'language' | 'tokens' | 'applicationTokenHash'> & {
  _id: string;
  userId: number | null;
  /** Absent in documents written before the language was stored. */
  language?: string | null;
  tokens: Portal['tokens'] | null;
  applicationTokenHash: string | null;
};

/** The portal a stored document holds. */
export function fromPortalDocument(doc: PortalDocument): Portal {
  const { _id, userId, language, tokens, applicationTokenHash, ...rest } = doc;
  return {
    memberId: _id,
    ...rest,
    userId: userId ?? undefined,
    language: language ?? undefined,
    tokens: tokens ?? undefined,
    applicationTokenHash: applicationTokenHash ?? undefined,
  };
}

/** `$literal` keeps a value that starts with '$' from being read as a field path inside a pipeline. */
const lit = (value: unknown) => ({ $literal: value });

/** The PortalRepository over MongoDB. */
export function mongoPortalRepository(db: Db, leases: LeaseRepository): PortalRepository {
  // Majority and journaled: a rotated refresh token that is lost after a failover locks the portal out.
  const portals: Collection<PortalDocument> = db.collection<PortalDocument>(PORTAL_COLLECTIONS.portals, {
    writeConcern: { w: 'majority', journal: true },
  });

  const upsertOnce = async (install: Parameters<PortalRepository['upsert']>[0]) =>
    portals.findOneAndUpdate(
      { _id: install.memberId },
      [
        {
          $set: {
            domain: lit(install.domain),
            clientEndpoint: lit(install.clientEndpoint),
            serverEndpoint: lit(install.serverEndpoint),
            scope: lit(install.scope),
            userId: lit(install.userId ?? null),
            // An install without a language keeps the stored one (null when there is none).
            language: { $ifNull: [lit(install.language ?? null), { $ifNull: ['$language', null] }] },
            tokens: lit(install.tokens),
            applicationTokenHash: lit(install.applicationTokenHash),
            installedAt: { $cond: [{ $eq: ['$status', 'installed'] }, '$installedAt', lit(install.at)] },
            status: 'installed',
            updatedAt: lit(install.at),
            version: { $add: [{ $ifNull: ['$version', 0] }, 1] },
          },
        },
      ],
      { upsert: true, returnDocument: 'after' },
    );

  return withMongoErrors('portals', {
    async upsert(install) {
      let doc: PortalDocument | null;
      try {
        doc = await upsertOnce(install);
      } catch (e) {
        // Two first installs racing: one insert wins, the other now finds the document and updates it.
        if (!isDuplicateKey(e)) throw e;
        doc = await upsertOnce(install);
      }
      if (!doc) throw new AppError(ErrorCode.INTERNAL, `portal ${install.memberId} was not stored`);
      return fromPortalDocument(doc);
    },
    async get(memberId) {
      const doc = await portals.findOne({ _id: memberId });
      return doc ? fromPortalDocument(doc) : undefined;
    },
    async list() {
      return (await portals.find({}).sort({ domain: 1, _id: 1 }).toArray()).map(fromPortalDocument);
    },
    async updateTokens(memberId, update, expectedVersion) {
      const set: Partial<PortalDocument> = { tokens: update.tokens, updatedAt: update.at };
      if (update.clientEndpoint !== undefined) set.clientEndpoint = update.clientEndpoint;
      if (update.serverEndpoint !== undefined) set.serverEndpoint = update.serverEndpoint;
      if (update.scope !== undefined) set.scope = update.scope;
      const result = await portals.updateOne(
        { _id: memberId, version: expectedVersion, status: 'installed' },
        { $set: set, $inc: { version: 1 } },
      );
      return result.matchedCount === 1;
    },
    async markUninstalled(memberId, at, purge = false) {
      if (purge) {
        return (await portals.deleteOne({ _id: memberId })).deletedCount === 1;
      }
      const result = await portals.updateOne(
        { _id: memberId },
        {
          $set: { status: 'uninstalled', tokens: null, applicationTokenHash: null, updatedAt: at },
          $inc: { version: 1 },
        },
      );
      return result.matchedCount === 1;
    },
    acquireRefreshLock: (memberId, owner, ttlMs) => leases.acquire(portalRefreshLease(memberId), owner, ttlMs),
    releaseRefreshLock: (memberId, owner) => leases.release(portalRefreshLease(memberId), owner),
  });
}
