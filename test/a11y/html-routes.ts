/**
 * The GET routes of the activity app, read from its Koa routers (`@koa/router` puts its router on the
 * dispatch middleware it returns): the meta-test compares them with the page states the axe test visits.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../activity/app.js';
import { createBitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { loadConfig } from '../../shared/config.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { silentLogger } from '../../shared/logger.js';
import { openQueue } from '../../shared/process/open-queue.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';

interface RouterLayer {
  path: string | RegExp;
  methods: string[];
}

/** Every `METHOD path` of the app as wired with Bitrix24 on (the full set of pages), GET and HEAD folded. */
export async function appGetRoutes(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-routes-'));
  const keyBytes = generateMasterKeyBytes();
  const env: NodeJS.ProcessEnv = {
    SIGNSERVICE_DATA_DIR: dir,
    SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
    PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    B24_CLIENT_ID: 'local.test',
    B24_CLIENT_SECRET: crypto.randomBytes(16).toString('hex'),
    AMQP_URL: '',
    MONGO_URL: '',
  };
  const config = loadConfig(env);
  const masterKey = MasterKey.fromBytes(keyBytes);
  const store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), storeKeysFor(masterKey));
  const queue = await openQueue(config);
  try {
    const bitrix24 = createBitrix24App({
      config: config.bitrix24,
      portals: store.portals,
      masterKey,
      logger: silentLogger,
    });
    if (!bitrix24) throw new Error('the Bitrix24 app is not configured');
    const app = createApp({ config, store, masterKey, bitrix24: { app: bitrix24, queue } });
    const routes = new Set<string>();
    for (const middleware of app.middleware as unknown as { router?: { stack: RouterLayer[] } }[]) {
      for (const layer of middleware.router?.stack ?? []) {
        if (layer.methods.includes('GET')) routes.add(String(layer.path));
      }
    }
    return [...routes].sort();
  } finally {
    await queue.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
