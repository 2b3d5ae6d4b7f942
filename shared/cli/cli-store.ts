/**
 * The service's store as a CLI command opens it: the master key from the configuration (environment, or
 * the data directory's file), and the store with the sign log key derived from it, so entries the CLI
 * appends chain exactly like the service's. A command never makes a store or a master key here: the
 * embedded store must exist where the configuration points (made by `signservice init` or the service's
 * first start), else the command refuses and says where it looked — a command run from another folder must
 * not succeed on a new, empty store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { howToNameDataDir } from '../config-file.js';
import { loadMasterKey } from '../crypto/load-master-key.js';
import type { MasterKey } from '../crypto/master-key.js';
import { AppError, ErrorCode } from '../errors.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store-ports.js';
import { dataDirMissing } from './data-dir.js';

/** The master key of `config`; with `createMasterKey: false` a missing key file is an error. */
export function cliMasterKey(config: Config, options: { createMasterKey: boolean }): MasterKey {
  const source = config.masterKey;
  return loadMasterKey(
    source.source === 'file'
      ? { ...source, createIfMissing: source.createIfMissing && options.createMasterKey }
      : source,
  );
}

/** @throws AppError DATA_DIR_NOT_FOUND when the configuration's data directory does not exist. */
export function assertDataDirExists(config: Pick<Config, 'dataDir' | 'dataDirNamed'>): void {
  if (!fs.existsSync(config.dataDir)) throw dataDirMissing({ dir: config.dataDir, named: config.dataDirNamed });
}

/**
 * Refuses to go on without the embedded store the configuration names: a store lost where one evidently
 * lived is DATA_DAMAGED (store-marker.ts says what to restore), no store at all is DATA_DIR_NOT_FOUND.
 * MongoDB stores are the server's business.
 */
export async function assertStoreExists(config: Config): Promise<void> {
  if (config.store.kind !== 'embedded') return;
  assertDataDirExists(config);
  // Loaded here, not at the top: `account --help` must not load better-sqlite3.
  const { assertStoreNotLost, storeIsNew } = await import('../store/embedded/store-marker.js');
  assertStoreNotLost(config.store.file);
  if (!storeIsNew(config.store.file)) return;
  throw new AppError(
    ErrorCode.DATA_DIR_NOT_FOUND,
    `The data directory ${config.dataDir} (${config.dataDirNamed}) holds no SignService store ` +
      `(${path.basename(config.store.file)}): ${howToNameDataDir(process.env)}. To make a new store there, run ` +
      `'signservice init${config.dataDirNamed === '--data-dir' ? ` --data-dir ${config.dataDir}` : ''}'.`,
  );
}

/** Opens the configured store, which must exist, with the master key's sign log key. */
export async function openCliStore(config: Config): Promise<{ store: Store; masterKey: MasterKey }> {
  await assertStoreExists(config);
  const masterKey = cliMasterKey(config, { createMasterKey: false });
  return { store: await createStore(config.store, masterKey), masterKey };
}
