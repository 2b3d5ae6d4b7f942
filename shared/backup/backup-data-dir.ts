/**
 * `signservice backup DIR`: a consistent copy of an embedded data directory while the service runs. The
 * queue and the store are copied with SQLite's online backup API (better-sqlite3 `db.backup`, all pages in
 * one step, so the copy is one moment of the file) — the queue first, so every job in the copy names a
 * request the store's copy has (a request stored later without a job is queued again by the recovery
 * sweep after a restore). Then the signed documents the copied store still has to deliver (a document
 * delivered meanwhile is taken from a fresh copy of the store instead), the internal CA and the token
 * snapshots, and last the manifest. The master key is never copied: it must be kept elsewhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config.js';
import type { MasterKey } from '../crypto/master-key.js';
import { IN_PIPELINE_STATES } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import { errnoOf } from '../fs/file-error.js';
import { signedBlobKey } from '../store/blob-key.js';
import { storeKeysFor } from '../store/create-store.js';
import { openEmbeddedStore } from '../store/embedded/embedded-store.js';
import { storeMarkerOf } from '../store/embedded/store-marker.js';
import { copyDurably, filesUnder, prepareEmptyDirectory } from './backup-files.js';
import { type BackupManifest, describeFile, writeManifest } from './backup-manifest.js';

/** Directories of the data directory copied file by file: the internal CA and the token snapshots. */
export const COPIED_DIRECTORIES = ['ca', 'inventory'];

/** Fresh store copies tried while documents keep being delivered between the copy and the blob copy. */
const STORE_ATTEMPTS = 5;

export interface BackupResult {
  manifest: BackupManifest;
  /** Where the master key is kept (a file, or the environment), for the operator's note. */
  masterKeyAt: string;
}

/** Copies a live SQLite file to `to` in one step of the online backup API. */
async function copySqlite(from: string, to: string): Promise<void> {
  const db = new Database(from, { fileMustExist: true, timeout: 15_000 });
  try {
    await db.backup(to, { progress: () => 2 ** 30 });
  } finally {
    db.close();
  }
}

/** Copies the store and the blobs its open requests need; undefined when one was delivered (and removed) meanwhile. */
async function copyStoreWithBlobs(dataDir: string, target: string, masterKey: MasterKey) {
  const copy = path.join(target, 'signservice.sqlite');
  for (const file of [copy, `${copy}-wal`, `${copy}-shm`]) fs.rmSync(file, { force: true });
  fs.rmSync(path.join(target, 'blobs'), { recursive: true, force: true });
  await copySqlite(path.join(dataDir, 'signservice.sqlite'), copy);
  const store = await openEmbeddedStore(copy, storeKeysFor(masterKey));
  try {
    let open = 0;
    for (const state of IN_PIPELINE_STATES) {
      for (const request of await store.signRequests.list({ state }, 10_000_000)) {
        open++;
        if (!request.signedSha256) continue;
        const key = signedBlobKey(request.id, request.signedSha256);
        // Gone before or during its copy: delivered and removed meanwhile, so this store copy is already old.
        try {
          copyDurably(path.join(dataDir, 'blobs', key), path.join(target, 'blobs', key));
        } catch (error) {
          if (errnoOf(error) === 'ENOENT') return undefined;
          throw error;
        }
      }
    }
    const head = await store.signLog.head();
    return { open, entries: head?.seq ?? 0, lastHash: head?.hash };
  } finally {
    await store.close();
    fs.rmSync(storeMarkerOf(copy), { force: true });
  }
}

/**
 * Makes the backup of `config`'s embedded data directory in the empty (or new) directory `target`; the
 * master key opens the copy (it is recorded by its id only).
 */
export async function backupDataDirectory(config: Config, target: string, masterKey: MasterKey): Promise<BackupResult> {
  if (config.store.kind !== 'embedded') {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      'signservice backup copies the embedded store; with MongoDB use mongodump (--oplog on the replica set, ' +
        `e.g. mongodump --uri "$MONGO_URL" --oplog --gzip --archive=signservice.archive) and copy ${config.dataDir}/ca`,
    );
  }
  const { dataDir } = config;
  if (!fs.existsSync(path.join(dataDir, 'signservice.sqlite'))) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `no SignService store in ${dataDir}: nothing to back up`);
  }
  const masterKeyId = masterKey.keyId;
  prepareEmptyDirectory(target, 'the backup directory');
  const queue = path.join(dataDir, 'queue.sqlite');
  if (fs.existsSync(queue) && fs.statSync(queue).size > 0) await copySqlite(queue, path.join(target, 'queue.sqlite'));
  let figures: Awaited<ReturnType<typeof copyStoreWithBlobs>>;
  for (let attempt = 1; !figures; attempt++) {
    if (attempt > STORE_ATTEMPTS) {
      throw new AppError(ErrorCode.STORE_UNAVAILABLE, 'the store kept changing under the backup; try again');
    }
    figures = await copyStoreWithBlobs(dataDir, target, masterKey);
  }
  for (const dir of COPIED_DIRECTORIES) {
    for (const file of filesUnder(path.join(dataDir, dir))) {
      copyDurably(path.join(dataDir, dir, file), path.join(target, dir, file));
    }
  }
  const files = filesUnder(target).map((file) => describeFile(target, file));
  const manifest: BackupManifest = {
    format: 'signservice-backup',
    version: 1,
    createdAt: new Date().toISOString(),
    source: dataDir,
    masterKeyId,
    counts: { openRequests: figures.open, signLogEntries: figures.entries },
    ...(figures.lastHash ? { lastSignLogHash: figures.lastHash } : {}),
    files,
  };
  writeManifest(target, manifest);
  const masterKeyAt =
    config.masterKey.source === 'env' ? 'the environment variable SIGNSERVICE_MASTER_KEY' : config.masterKey.file;
  return { manifest, masterKeyAt };
}
