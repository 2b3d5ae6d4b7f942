/**
 * Blobs of the embedded store: one file per key in a directory next to the SQLite file
 * (`<dataDir>/blobs/`, owner-only). A put replaces the key's file atomically and durably
 * (write-file-durably.ts), so after a crash the key holds either the old or the new bytes, complete; the
 * temporary file a killed put left behind is removed by `removeLeftovers` (the recovery sweep).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, ErrorCode } from '../../errors.js';
import { errnoSentence } from '../../fs/file-error.js';
import { removeTempLeftovers, writeFileDurably } from '../../fs/write-file-durably.js';
import { assertBlobKey, isBlobKey } from '../blob-key.js';
import type { BlobStore } from '../store-ports.js';

function ioError(what: string, error: unknown): AppError {
  return new AppError(ErrorCode.FILE_IO, `${what}: ${errnoSentence(error)}`, { cause: error });
}

/** The BlobStore over files in `dir` (created on the first put). */
export function embeddedBlobStore(dir: string): BlobStore {
  const fileOf = (key: string) => {
    assertBlobKey(key);
    return path.join(dir, key);
  };
  // Made on the first put, not before every one; made again if it is gone (an operator removed it).
  let dirMade = false;
  const makeDir = async () => {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    dirMade = true;
  };
  return {
    async put(key, bytes) {
      const file = fileOf(key);
      try {
        if (!dirMade) await makeDir();
        await writeFileDurably(file, bytes).catch(async (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          await makeDir();
          await writeFileDurably(file, bytes);
        });
      } catch (error) {
        throw ioError(`cannot store blob ${key} in ${dir}`, error);
      }
    },
    localFile: fileOf,
    async get(key) {
      const file = fileOf(key);
      try {
        return await fs.readFile(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw ioError(`cannot read blob ${key} from ${dir}`, error);
      }
    },
    async delete(key) {
      const file = fileOf(key);
      try {
        await fs.unlink(file);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw ioError(`cannot delete blob ${key} from ${dir}`, error);
      }
    },
    async *list() {
      let names: string[];
      try {
        names = (await fs.readdir(dir)).filter(isBlobKey).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw ioError(`cannot list the blobs in ${dir}`, error);
      }
      for (const key of names) {
        const stat = await fs.stat(path.join(dir, key)).catch(() => undefined);
        if (stat?.isFile()) yield { key, writtenAt: stat.mtime };
      }
    },
    async removeLeftovers(before) {
      try {
        return (await removeTempLeftovers(dir, { before })).length;
      } catch (error) {
        throw ioError(`cannot remove leftover temporary files in ${dir}`, error);
      }
    },
  };
}
