/**
 * Start-up checks of the embedded data files, before a service process serves anything. The store file
 * must pass `PRAGMA quick_check`, else the process refuses to start (a damaged store is restored from a
 * backup, never served). The queue file is rebuildable — every job names a request, and the store says
 * which requests still need one — so a damaged queue file is moved aside and a missing one accepted; the
 * log says so, and the workers' recovery sweep (its first round runs before any job is taken) queues the
 * store's open requests again. A missing or empty store is refused when opened (store-marker.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { IN_PIPELINE_STATES } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkSqliteIntegrity } from '../sqlite/check-integrity.js';
import { storeIsNew } from '../store/embedded/store-marker.js';
import type { Store } from '../store/store-ports.js';

/** The embedded queue's file in the data directory (create-queue.ts opens the same). */
export function queueFileOf(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'queue.sqlite');
}

/** @throws AppError DATA_DAMAGED when the embedded store file fails its quick check. */
export function checkStoreFile(config: Pick<Config, 'store'>): void {
  if (config.store.kind !== 'embedded' || storeIsNew(config.store.file)) return;
  const { file } = config.store;
  const report = checkSqliteIntegrity(file, 'quick');
  if (report.ok) return;
  throw new AppError(
    ErrorCode.DATA_DAMAGED,
    `The store file ${file} is damaged (PRAGMA quick_check: ${report.problems.slice(0, 3).join('; ')}). ` +
      'SignService does not serve a damaged store. Stop every SignService process and restore the data directory ' +
      'from a backup (signservice restore BACKUP_DIR --data-dir NEW_DIR); signservice doctor shows the full check.',
  );
}

/** Requests the store says still need a job (for the log line; at most 10,000 per state are counted). */
async function openRequests(store: Store): Promise<number> {
  let count = 0;
  for (const state of IN_PIPELINE_STATES) count += (await store.signRequests.list({ state }, 10_000)).length;
  return count;
}

/** Moves a damaged SQLite file and its WAL aside; returns where the main file went. */
function moveAside(file: string, at: Date): string {
  const target = `${file}.damaged-${at.toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (fs.existsSync(`${file}${suffix}`)) fs.renameSync(`${file}${suffix}`, `${target}${suffix}`);
  }
  return target;
}

/** Checks the embedded queue file: moves a damaged one aside; says when the queue is rebuilt from the store. */
export async function checkQueueFile(config: Pick<Config, 'queue' | 'dataDir'>, store: Store, logger: Logger) {
  if (config.queue.kind !== 'embedded') return;
  const file = queueFileOf(config);
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) {
    const open = await openRequests(store);
    if (open > 0) {
      logger.warn(
        { file, requests: open },
        `the queue file is missing or empty: rebuilding it from the store's ${open} open request(s)`,
      );
    }
    return;
  }
  const report = checkSqliteIntegrity(file, 'quick');
  if (report.ok) return;
  const movedTo = moveAside(file, new Date());
  const open = await openRequests(store);
  logger.error(
    { file, movedTo, problems: report.problems.slice(0, 3), requests: open },
    `the queue file is damaged: moved aside, rebuilding it from the store's ${open} open request(s)`,
  );
}
