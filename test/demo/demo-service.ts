/**
 * The service of the demo, in this process and in embedded mode — what `npm start` runs, wired the same
 * way as activity/main.ts: the SQLite store and queue in the data directory, one Bitrix24 client shared by
 * the HTTP app and the worker, the worker's notice sweep. Its log goes to a file, so the console shows the
 * story; the administrator's steps run the real `signservice` CLI against the same data directory.
 */
import fs from 'node:fs';
import { createApp } from '../../activity/app.js';
import { createSignLogCheckpointer } from '../../shared/audit/sign-log-checkpointer.js';
import { createBitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { type Config, loadConfig } from '../../shared/config.js';
import { loadMasterKey } from '../../shared/crypto/load-master-key.js';
import { createLogger } from '../../shared/logger.js';
import { type ListeningServer, listen } from '../../shared/process/http-server.js';
import { openQueue } from '../../shared/process/open-queue.js';
import { createStore } from '../../shared/store/create-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type LaunchedWorker, launchWorker } from '../../worker/launch-worker.js';

export interface DemoService {
  config: Config;
  store: Store;
  close(): Promise<void>;
}

/** Starts the service on `port` with `env`; its JSON log lines go to `logFile`. */
export async function startDemoService(env: NodeJS.ProcessEnv, port: number, logFile: string): Promise<DemoService> {
  const config = loadConfig(env);
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const logger = createLogger({
    level: (env.LOG_LEVEL as 'debug' | 'info') ?? 'info',
    base: { service: 'signservice-demo' },
    sink: (line) => log.write(`${line}\n`),
  });
  const masterKey = loadMasterKey(config.masterKey);
  const store = await createStore(config.store, masterKey);
  const checkpointer = createSignLogCheckpointer({ store, masterKey, logger, config: config.signLog });
  await checkpointer.start();
  const queue = await openQueue(config, logger);
  const bitrix24 = createBitrix24App({ config: config.bitrix24, portals: store.portals, masterKey, logger });
  if (!bitrix24) throw new Error('the demo needs B24_CLIENT_ID and B24_CLIENT_SECRET');
  let launched: LaunchedWorker | undefined;
  let server: ListeningServer | undefined;
  try {
    launched = await launchWorker({ config, store, queue, logger, bitrix24 });
    const app = createApp({ config, store, masterKey, logger, bitrix24: { app: bitrix24, queue } });
    server = await listen(app.callback(), '127.0.0.1', port);
  } catch (error) {
    await launched?.worker.close();
    await queue.close();
    await checkpointer.close();
    await store.close();
    throw error;
  }
  return {
    config,
    store,
    async close() {
      await launched?.worker.close();
      await server?.close();
      await queue.close();
      await checkpointer.close();
      await store.close();
      await launched?.tokens.close();
      log.end();
    },
  };
}
