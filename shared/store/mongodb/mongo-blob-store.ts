/**
 * Blobs in MongoDB: a GridFS bucket (`blobs`), the key as filename. GridFS writes every chunk before the
 * file document, so a reader sees a complete file or none [GridFS spec: "the files collection document
 * is written last"]. A put uploads a new revision first and only then deletes the older ones, so the key
 * always names complete bytes; a reader takes the newest revision.
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { type Db, GridFSBucket, MongoRuntimeError, type ObjectId } from 'mongodb';
import { assertBlobKey } from '../blob-key.js';
import type { BlobStore } from '../store-ports.js';
import { BLOB_BUCKET } from './mongo-connection.js';
import { withMongoErrors } from './mongo-errors.js';

/** A revision deleted by someone else meanwhile: nothing to do about it. */
function isFileNotFound(error: unknown): boolean {
  return error instanceof MongoRuntimeError && /FileNotFound|File not found/i.test(error.message);
}

/** Seconds-precision creation time of an ObjectId (the driver's `getTimestamp`). */
const createdAt = (id: ObjectId): Date => id.getTimestamp();

/** The BlobStore over a GridFS bucket. */
export function mongoBlobStore(db: Db): BlobStore {
  const bucket = new GridFSBucket(db, {
    bucketName: BLOB_BUCKET,
    writeConcern: { w: 'majority', journal: true },
  });
  const revisions = async (key: string): Promise<ObjectId[]> =>
    (await bucket.find({ filename: key }, { sort: { uploadDate: -1, _id: -1 } }).toArray()).map((f) => f._id);
  const remove = async (ids: readonly ObjectId[]): Promise<void> => {
    for (const id of ids) {
      try {
        await bucket.delete(id);
      } catch (error) {
        if (!isFileNotFound(error)) throw error;
      }
    }
  };

  return withMongoErrors('blobs', {
    async put(key, bytes) {
      assertBlobKey(key);
      const upload = bucket.openUploadStream(key);
      await new Promise<void>((resolve, reject) => {
        Readable.from([bytes]).pipe(upload).on('finish', resolve).on('error', reject);
      });
      await remove((await revisions(key)).filter((id) => !id.equals(upload.id)));
    },
    async get(key) {
      assertBlobKey(key);
      // A concurrent put may delete the revision we found between the look-up and the download: look again.
      for (let attempt = 0; attempt < 3; attempt++) {
        const [newest] = await revisions(key);
        if (!newest) return undefined;
        try {
          return await buffer(bucket.openDownloadStream(newest));
        } catch (error) {
          if (!isFileNotFound(error)) throw error;
        }
      }
      return undefined;
    },
    async delete(key) {
      assertBlobKey(key);
      const ids = await revisions(key);
      await remove(ids);
      return ids.length > 0;
    },
    list,
    async removeLeftovers(before) {
      // An upload that died wrote chunks but never its file document (GridFS writes that last).
      const files = new Set((await db.collection(`${BLOB_BUCKET}.files`).distinct('_id')).map(String));
      const chunkOwners = (await db.collection(`${BLOB_BUCKET}.chunks`).distinct('files_id')) as ObjectId[];
      const orphans = chunkOwners.filter((id) => !files.has(String(id)) && createdAt(id) < before);
      if (orphans.length === 0) return 0;
      await db.collection(`${BLOB_BUCKET}.chunks`).deleteMany({ files_id: { $in: orphans } });
      return orphans.length;
    },
  });

  /** The newest revision of every key. */
  async function* list(): AsyncGenerator<{ key: string; writtenAt: Date }> {
    const seen = new Set<string>();
    const cursor = bucket.find(
      {},
      { sort: { filename: 1, uploadDate: -1 }, projection: { filename: 1, uploadDate: 1 } },
    );
    try {
      for await (const file of cursor) {
        if (seen.has(file.filename)) continue;
        seen.add(file.filename);
        yield { key: file.filename, writtenAt: file.uploadDate };
      }
    } finally {
      await cursor.close();
    }
  }
}
