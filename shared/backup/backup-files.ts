/**
 * File helpers of backup and restore: an empty target directory (never overwrite), copying a directory's
 * files but not the temporary ones of unfinished writes, a durable copy of one file, and the id of the
 * configured master key without creating one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { loadMasterKey } from '../crypto/load-master-key.js';
import { AppError, ErrorCode } from '../errors.js';
import { parseTempName } from '../fs/write-file-durably.js';

/**
 * Creates `dir` (0700) or accepts it when it is empty but for the names in `allowed`.
 * @throws AppError INVALID_ARGUMENT when it holds anything else
 */
export function prepareEmptyDirectory(dir: string, what: string, allowed: readonly string[] = []): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${dir} is not a directory`);
    const present = fs.readdirSync(dir).filter((name) => !allowed.includes(name));
    if (present.length > 0) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        `${what} ${dir} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', …' : ''}); ` +
          'nothing is overwritten: choose an empty or new directory',
      );
    }
    return;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Copies `from` to `to` (creating its directory) and syncs it to disk. */
export function copyDurably(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
  fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
  fs.chmodSync(to, 0o600);
  const fd = fs.openSync(to, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The files under `dir` (paths relative to it), leaving out temporary files of unfinished writes. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const next = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(next);
      else if (entry.isFile() && !parseTempName(entry.name) && !entry.name.endsWith('.tmp')) found.push(next);
    }
  };
  walk('');
  return found.sort();
}

/**
 * The id of the configured master key, or undefined when its file is not there (nothing is created).
 * @throws AppError MASTER_KEY_INVALID for a key that is there but malformed
 */
export function configuredMasterKeyId(source: Config['masterKey']): string | undefined {
  if (source.source === 'file' && !fs.existsSync(source.file)) return undefined;
  const fixed = source.source === 'file' ? { ...source, createIfMissing: false } : source;
  return loadMasterKey(fixed, { warn: () => undefined }).keyId;
}
