/**
 * The data directory holds the master key, the store and queue files, sealed CA keys, signed documents,
 * e-mails with one-time links and token snapshots: nobody but the service's own user may read any of it.
 * Every writer creates its files owner-only (0600, directories 0700); `securePrivateDir` makes the
 * directory so and repairs what an older version or a careless copy left readable — every main calls it at
 * start, before anything is opened. `createPrivateFile` makes an empty 0600 file for SQLite to open, whose
 * `-wal` and `-shm` files then get the same mode (SQLite copies the database file's permissions).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { errnoSentence } from './file-error.js';

/** What `securePrivateDir` changed or could not change. */
export interface PrivateDirReport {
  /** Paths whose group/other permission bits were removed. */
  fixed: string[];
  /** Paths it could not fix (another owner, a read-only file system), with the reason. */
  problems: string[];
}

const GROUP_OTHER = 0o077;

function tighten(target: string, report: PrivateDirReport): fs.Stats | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(target);
  } catch (e) {
    report.problems.push(`${target}: ${errnoSentence(e)}`);
    return undefined;
  }
  // Symbolic links are not followed: what they point to is somebody else's decision. A file with another name
  // outside (a signed blob hard-linked to its delivered output until the request completes) keeps its mode,
  // which is the output's too; the directories above it are owner-only, so others cannot reach it from here.
  if (stat.isSymbolicLink() || (stat.mode & GROUP_OTHER) === 0) return stat;
  if (stat.isFile() && stat.nlink > 1) return stat;
  try {
    fs.chmodSync(target, stat.mode & 0o7777 & ~GROUP_OTHER);
    report.fixed.push(target);
  } catch (e) {
    report.problems.push(`${target}: ${errnoSentence(e)}`);
  }
  return stat;
}

function walk(dir: string, report: PrivateDirReport): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    report.problems.push(`${dir}: ${errnoSentence(e)}`);
    return;
  }
  for (const name of names) {
    const target = path.join(dir, name);
    const stat = tighten(target, report);
    if (stat?.isDirectory()) walk(target, report);
  }
}

/**
 * Creates `dir` (0700) when missing and takes group and other permissions off it and everything below it.
 * @throws AppError FILE_IO when the directory cannot be created
 */
export function securePrivateDir(dir: string): PrivateDirReport {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AppError(ErrorCode.FILE_IO, `Cannot create the data directory ${dir}: ${errnoSentence(e)}`);
  }
  const report: PrivateDirReport = { fixed: [], problems: [] };
  tighten(dir, report);
  walk(dir, report);
  return report;
}

/** Creates `file` empty with mode 0600 (and its directory 0700) unless it exists; an existing file is left as is. */
export function createPrivateFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
}

/** `securePrivateDir` for a main at start: what it had to fix is a warning, what it could not fix an error. */
export function secureDataDirAtStart(dir: string, logger: Logger): void {
  const report = securePrivateDir(dir);
  if (report.fixed.length > 0) {
    logger.warn(
      { dataDir: dir, fixed: report.fixed.length, examples: report.fixed.slice(0, 5) },
      'the data directory was readable by other users: group and other permissions removed',
    );
  }
  if (report.problems.length > 0) {
    logger.error(
      { dataDir: dir, problems: report.problems.slice(0, 10) },
      'some files in the data directory could not be made owner-only; fix their owner or permissions',
    );
  }
}
