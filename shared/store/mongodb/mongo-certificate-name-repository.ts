/** Certificate display names in MongoDB (`certificate_names`, `_id` = the certificate's inventory id). */
import type { Collection, Db } from 'mongodb';
import type { CertificateName } from '../../domain/certificate-name.js';
import type { CertificateNameRepository } from '../store-ports.js';
import { COLLECTIONS } from './mongo-connection.js';
import { withMongoErrors } from './mongo-errors.js';
import type { MongoTransactions } from './mongo-transactions.js';

interface NameDocument {
  _id: string;
  name: string;
  updatedAt: Date;
}

const fromDocument = (d: NameDocument): CertificateName => ({ certId: d._id, name: d.name, updatedAt: d.updatedAt });

/** The CertificateNameRepository over MongoDB: one document per named certificate. */
export function mongoCertificateNameRepository(db: Db, tx: MongoTransactions): CertificateNameRepository {
  const col: Collection<NameDocument> = db.collection<NameDocument>(COLLECTIONS.certificateNames);
  return withMongoErrors('certificate names', {
    async set(certId: string, name: string | undefined, at: Date) {
      if (name === undefined) await col.deleteOne({ _id: certId }, tx.options());
      else await col.updateOne({ _id: certId }, { $set: { name, updatedAt: at } }, { upsert: true, ...tx.options() });
    },
    async get(certId: string) {
      const d = await col.findOne({ _id: certId }, tx.options());
      return d ? fromDocument(d) : undefined;
    },
    async list() {
      return (await col.find({}, tx.options()).sort({ _id: 1 }).toArray()).map(fromDocument);
    },
  });
}
