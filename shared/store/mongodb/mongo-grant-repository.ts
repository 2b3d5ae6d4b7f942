/** Certificate grants in MongoDB (`grants`, unique accountId + certId). */
import type { Collection, Db } from 'mongodb';
import type { CertificateGrant } from '../../domain/certificate-grant.js';
import type { GrantRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { isDuplicateKey, withMongoErrors } from './mongo-errors.js';
import type { MongoTransactions } from './mongo-transactions.js';

const fromDocument = (d: CertificateGrant): CertificateGrant => ({
  accountId: d.accountId,
  certId: d.certId,
  isDefault: d.isDefault,
  grantedAt: d.grantedAt,
});

/**
 * The GrantRepository over MongoDB. Without a transaction, switching the default is two writes: the
 * grant, then clearing the account's other defaults. Two administrators switching the default of the
 * same account in the same instant can leave it with none; the next switch repairs that.
 */
export function mongoGrantRepository(db: Db, tx: MongoTransactions): GrantRepository {
  const col: Collection<CertificateGrant> = db.collection<CertificateGrant>(COLLECTIONS.grants);
  const upsert = (g: CertificateGrant) =>
    col.updateOne(
      { accountId: g.accountId, certId: g.certId },
      { $set: { isDefault: g.isDefault, grantedAt: g.grantedAt } },
      { upsert: true, ...tx.options() },
    );
  const list = async (filter: Partial<CertificateGrant>, tieBreak: 'certId' | 'accountId') =>
    (
      await col
        .find(filter, { projection: { _id: 0 }, ...tx.options() })
        .sort({ grantedAt: 1, [tieBreak]: 1 })
        .toArray()
    ).map(fromDocument);

  return withMongoErrors('grants', {
    async grant(g) {
      try {
        await upsert(g);
      } catch (e) {
        // Two concurrent upserts of a new key: one inserts, the other hits the unique index; it now updates.
        if (!isDuplicateKey(e)) throw e;
        await upsert(g);
      }
      if (g.isDefault) {
        await col.updateMany(
          { accountId: g.accountId, certId: { $ne: g.certId }, isDefault: true },
          { $set: { isDefault: false } },
          tx.options(),
        );
      }
    },
    async revoke(accountId, certId) {
      return (await col.deleteOne({ accountId, certId }, tx.options())).deletedCount === 1;
    },
    listForAccount: (accountId) => list({ accountId }, 'certId'),
    listForCertificate: (certId) => list({ certId }, 'accountId'),
  });
}
