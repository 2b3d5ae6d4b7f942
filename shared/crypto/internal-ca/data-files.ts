/**
 * Small file helpers for the data-directory adapters: atomic writes (temporary file, fsync, rename, so a
 * crash never leaves half a record) with owner-only permissions, and reads that tell a missing file from
 * a broken one. Errors are AppError FILE_IO naming the file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError, ErrorCode } from '../../errors.js';
import { type FileAction, fileIoError } from '../../fs/file-error.js';
import { writeFileDurably } from '../../fs/write-file-durably.js';

/**
 * Writes `data` to `file` atomically with mode 0600, creating the directory (0700) if needed. The write is
 * writeFileDurably's, so a killed writer's temporary file is recognised and removed by the recovery sweep.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFileDurably(file, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { mode: 0o600 });
  } catch (error) {
    throw ioError('write', file, error);
  }
}

/** Reads a file; `undefined` when it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', file, error);
  }
}

/** Reads and parses a JSON file; `undefined` when it does not exist. */
export async function readJsonIfExists<T>(file: string): Promise<T | undefined> {
  const bytes = await readFileIfExists(file);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new AppError(ErrorCode.FILE_IO, `${file} is not valid JSON (damaged?): ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Writes a JSON file atomically (pretty-printed, so an operator can read it). */
export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The names in a directory; empty when it does not exist. */
export async function listDirectory(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError('list', dir, error);
  }
}

function ioError(what: FileAction, file: string, error: unknown): AppError {
  return fileIoError(what, file, error);
}
