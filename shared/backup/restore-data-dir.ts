/**
 * `signservice restore DIR`: a backup back into a data directory — only an empty or new one (or one that
 * holds nothing but its master key file), never over existing data. The backup is checked first (every file against the manifest's size and SHA-256, both
 * SQLite files with `PRAGMA quick_check`), and the configured master key, if one is there, must be the one
 * the backup's secrets are sealed under. The files are copied and synced, and the store marker is left, so
 * the restored store is guarded like any other. Requests that were on their way when the backup was made
 * go on when the service starts (the recovery sweep queues those without a job).
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import { checkSqliteIntegrity } from '../sqlite/check-integrity.js';
import { markStoreCreated } from '../store/embedded/store-marker.js';
import { configuredMasterKeyId, copyDurably, prepareEmptyDirectory } from './backup-files.js';
import { type BackupManifest, readManifest, verifyFiles } from './backup-manifest.js';

export interface RestoreResult {
  manifest: BackupManifest;
  dataDir: string;
  /** Where the master key must be before the service starts, when it is not there yet. */
  masterKeyNeededAt?: string;
}

function checkDatabases(source: string, manifest: BackupManifest): void {
  for (const name of ['signservice.sqlite', 'queue.sqlite']) {
    if (!manifest.files.some((f) => f.path === name)) {
      if (name === 'signservice.sqlite')
        throw new AppError(ErrorCode.DATA_DAMAGED, `the backup ${source} has no store`);
      continue;
    }
    const report = checkSqliteIntegrity(path.join(source, name), 'quick');
    if (!report.ok) {
      throw new AppError(ErrorCode.DATA_DAMAGED, `${name} in the backup ${source} is damaged: ${report.problems[0]}`);
    }
  }
}

function checkMasterKey(config: Config, manifest: BackupManifest): string | undefined {
  const configured = configuredMasterKeyId(config.masterKey);
  if (configured === undefined) {
    return config.masterKey.source === 'file' ? config.masterKey.file : 'SIGNSERVICE_MASTER_KEY';
  }
  if (manifest.masterKeyId && configured !== manifest.masterKeyId) {
    throw new AppError(
      ErrorCode.MASTER_KEY_INVALID,
      `the configured master key (id ${configured}) is not the one this backup's secrets are sealed under ` +
        `(id ${manifest.masterKeyId}); configure that key first — without it the restored keys and OTP secrets ` +
        'cannot be read',
    );
  }
  return undefined;
}

/** Restores the backup in `source` into `config.dataDir`, which must be empty or missing. */
export async function restoreDataDirectory(config: Config, source: string): Promise<RestoreResult> {
  if (config.store.kind !== 'embedded') {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      'signservice restore fills an embedded data directory; with MongoDB use mongorestore (--oplogReplay for a ' +
        'dump made with --oplog) and copy the ca directory back',
    );
  }
  const manifest = readManifest(source);
  verifyFiles(source, manifest);
  checkDatabases(source, manifest);
  const masterKeyNeededAt = checkMasterKey(config, manifest);
  // The master key may be put in place first (it is never in the backup).
  const keyFile = config.masterKey.source === 'file' ? config.masterKey.file : undefined;
  const keyInside = keyFile && path.dirname(keyFile) === config.dataDir ? [path.basename(keyFile)] : [];
  prepareEmptyDirectory(config.dataDir, 'the data directory', keyInside);
  for (const file of manifest.files) copyDurably(path.join(source, file.path), path.join(config.dataDir, file.path));
  markStoreCreated(config.store.file);
  return { manifest, dataDir: config.dataDir, ...(masterKeyNeededAt ? { masterKeyNeededAt } : {}) };
}
