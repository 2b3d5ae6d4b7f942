/**
 * The service's store as a CLI command opens it: the master key from the configuration (environment, or
 * the data directory's file), and the store with the sign log key derived from it, so entries the CLI
 * appends chain exactly like the service's. Commands that write (accounts, requests) may create the data
 * directory's key file like the service's first start does; read-only ones (audit) never create one.
 */
import type { Config } from '../config.js';
import { loadMasterKey } from '../crypto/load-master-key.js';
import type { MasterKey } from '../crypto/master-key.js';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store-ports.js';

/** The master key of `config`; with `createMasterKey: false` a missing key file is an error. */
export function cliMasterKey(config: Config, options: { createMasterKey: boolean }): MasterKey {
  const source = config.masterKey;
  return loadMasterKey(
    source.source === 'file'
      ? { ...source, createIfMissing: source.createIfMissing && options.createMasterKey }
      : source,
  );
}

/** Opens the configured store with the master key's sign log key. */
export async function openCliStore(
  config: Config,
  options: { createMasterKey: boolean },
): Promise<{ store: Store; masterKey: MasterKey }> {
  const masterKey = cliMasterKey(config, options);
  return { store: await createStore(config.store, masterKey), masterKey };
}
