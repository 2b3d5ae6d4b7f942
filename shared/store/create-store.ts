/**
 * The one switch between the store adapters: embedded SQLite when no MONGO_URL is configured, MongoDB
 * otherwise. Each adapter is imported only when chosen, so embedded mode never loads the MongoDB driver.
 */
import type { Config } from '../config.js';
import type { Store } from './store-ports.js';

/** Opens the store the configuration names. */
export async function createStore(config: Config['store']): Promise<Store> {
  if (config.kind === 'embedded') {
    const { openEmbeddedStore } = await import('./embedded/embedded-store.js');
    return openEmbeddedStore(config.file);
  }
  const { openMongoStore } = await import('./mongodb/mongo-store.js');
  return openMongoStore(config.url, config.dbName);
}
