/**
 * The embedded store must never be replaced by an empty one without anybody noticing: a store file that is
 * missing or empty (deleted, truncated to 0 bytes) would otherwise be created afresh, and the service would
 * run on it — accounts, requests and the sign log gone — while `audit verify` said "OK, empty". So the first
 * creation of a store leaves a marker next to it (`signservice.sqlite.created`); a missing or empty store
 * file beside its marker, or beside queued jobs or signed documents of an earlier store, is refused with what to do. The
 * internal CA and the master key alone prove nothing: `signservice ca init` makes them before any store.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError, ErrorCode } from '../../errors.js';

/** The marker of the store in `file`: `<file>.created` (one per store file, so stores can share a directory). */
export function storeMarkerOf(file: string): string {
  return `${file}.created`;
}

/** True when `file` is missing or has no bytes: opening it would create a new, empty store. */
export function storeIsNew(file: string): boolean {
  try {
    return fs.statSync(file).size === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/** Jobs in the queue file next to the store (0 when there is none or it cannot be read). */
function queuedJobs(dir: string): number {
  const file = path.join(dir, 'queue.sqlite');
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return 0;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return db
      .prepare('SELECT (SELECT COUNT(*) FROM queue_jobs) + (SELECT COUNT(*) FROM queue_parked)')
      .pluck()
      .get() as number;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

function signedDocuments(dir: string): number {
  try {
    return fs.readdirSync(path.join(dir, 'blobs')).filter((name) => !name.startsWith('.')).length;
  } catch {
    return 0;
  }
}

/**
 * Refuses to let a missing or empty store file be created afresh where an earlier store evidently lived.
 * @throws AppError DATA_DAMAGED naming the file, the evidence, and how to restore.
 */
export function assertStoreNotLost(file: string): void {
  if (!storeIsNew(file)) return;
  const dir = path.dirname(file);
  const evidence: string[] = [];
  const marker = storeMarkerOf(file);
  if (fs.existsSync(marker)) {
    const created = /\d{4}-\d\d-\d\dT[\d:.]+Z/.exec(fs.readFileSync(marker, 'utf8'))?.[0] ?? 'at an unknown time';
    evidence.push(`${path.basename(marker)} records that it was created here (${created})`);
  }
  const jobs = queuedJobs(dir);
  if (jobs > 0) evidence.push(`queue.sqlite holds ${jobs} job(s) of its requests`);
  const blobs = signedDocuments(dir);
  if (blobs > 0) evidence.push(`blobs/ holds ${blobs} signed document(s) of its requests`);
  if (evidence.length === 0) return;
  throw new AppError(
    ErrorCode.DATA_DAMAGED,
    `The store file ${file} is ${fs.existsSync(file) ? 'empty' : 'missing'}, but this data directory had a store: ` +
      `${evidence.join('; ')}. Accounts, sign requests and the sign log were in it; SignService will not start ` +
      `afresh on an empty one. Stop every SignService process and restore the data directory from a backup ` +
      `(signservice restore BACKUP_DIR --data-dir NEW_DIR, then point SIGNSERVICE_DATA_DIR at NEW_DIR), or ` +
      `restore ${path.basename(file)} alone into ${dir}. To start afresh on purpose, move ${dir} away.`,
  );
}

/** Leaves the marker once the store exists (also for stores made before markers existed). */
export function markStoreCreated(file: string, at: Date = new Date()): void {
  const marker = storeMarkerOf(file);
  if (fs.existsSync(marker)) return;
  fs.writeFileSync(
    marker,
    `${path.basename(file)} was created here at ${at.toISOString()}. SignService refuses to start while that ` +
      'file is missing or empty; restore it from a backup (signservice restore), or remove this marker to start ' +
      'afresh on purpose.\n',
    { mode: 0o600 },
  );
}
