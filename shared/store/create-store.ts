/**
 * The one switch between the store adapters: embedded SQLite when no MONGO_URL is configured, MongoDB
 * otherwise. Each adapter is imported only when chosen, so embedded mode never loads the MongoDB driver.
 */
import { SignLogKey } from '../audit/sign-log-key.js';
import type { Config } from '../config.js';
import type { MasterKey } from '../crypto/master-key.js';
import type { Store, StoreKeys } from './store-ports.js';

/** The key material a store gets from the master key (never the master key itself). */
export function storeKeysFor(masterKey: MasterKey): StoreKeys {
  return { signLogKey: SignLogKey.fromMasterKey(masterKey) };
}

/**
 * Opens the store the configuration names. The store gets the sign log key derived from `masterKey` (to MAC
 * every entry it appends), never the master key itself.
 */
export async function createStore(config: Config['store'], masterKey: MasterKey): Promise<Store> {
  const keys = storeKeysFor(masterKey);
  if (config.kind === 'embedded') {
    const { openEmbeddedStore } = await import('./embedded/embedded-store.js');
    return openEmbeddedStore(config.file, keys);
  }
  const { openMongoStore } = await import('./mongodb/mongo-store.js');
  return openMongoStore(config.url, config.dbName, keys);
}
