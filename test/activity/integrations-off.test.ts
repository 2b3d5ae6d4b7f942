/**
 * A service without the Bitrix24 app's keys, mail server or timestamp authority: `npm start` says in its
 * banner what is off and which settings turn it on, and the Bitrix24 routes answer 503 with a sentence for
 * the administrator (JSON for Bitrix24's server calls, a page in the reader's language for the app page)
 * instead of a bare 404.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../activity/app.js';
import { loadConfig } from '../../shared/config.js';
import { MasterKey } from '../../shared/crypto/master-key.js';
import { describeIntegrations } from '../../shared/process/integrations.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { serveApp } from '../support/serve-app.js';
import { freePort, startServiceProcess } from '../support/service-process.js';

describe('integrations that are off', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-integrations-off-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('npm start names in its banner each integration that is off, why, and the settings that turn it on', async () => {
    const dataDir = path.join(dir, 'data');
    const service = await startServiceProcess({
      entry: 'activity',
      port: await freePort(),
      env: {
        SIGNSERVICE_DATA_DIR: dataDir,
        SIGNSERVICE_MASTER_KEY: '',
        SIGNSERVICE_MASTER_KEY_FILE: '',
        MONGO_URL: '',
        AMQP_URL: '',
        SIGNSERVICE_TOKENS: '',
        B24_CLIENT_ID: '',
        B24_CLIENT_SECRET: '',
        SMTP_URL: '',
        TSA_URL: '',
        SIGN_LOG_TSA_URL: '',
        ADMIN_EMAIL: '',
      },
    });
    try {
      await service.waitReady();
      const banner = service.output();
      assert.ok(banner.includes(`Data:      ${dataDir}  (SIGNSERVICE_DATA_DIR;`), banner);
      assert.match(banner, /\n {2}Bitrix24: {2}off: set B24_CLIENT_ID and B24_CLIENT_SECRET .*\/b24\/… answers 503/);
      assert.ok(
        banner.includes(
          `Mail:      not sent: written as .eml files to the outbox folder ${dataDir}/outbox (set SMTP_URL to send)`,
        ),
        banner,
      );
      assert.match(banner, /\n {2}Timestamp: none: signatures are PAdES B-B, without a timestamp \(set TSA_URL/);
      assert.match(banner, /\n {2}Operator: {2}no operator address: .*\(ADMIN_EMAIL\)/);
      const install = await fetch(`${service.url}/b24/install`, { method: 'POST' });
      assert.equal(install.status, 503);
    } finally {
      await service.stop();
    }
  });

  it('names the mail server and TSA without their credentials when they are on', () => {
    const config = loadConfig({
      SIGNSERVICE_DATA_DIR: dir,
      SMTP_URL: 'smtps://signservice:Pa55word@smtp.example.com:465',
      TSA_URL: 'https://tsa.example.com/tsr',
      B24_CLIENT_ID: 'local.abc123',
      B24_CLIENT_SECRET: 'very-secret-value',
    });
    const text = JSON.stringify(describeIntegrations(config));
    assert.match(text, /SMTP server smtp\.example\.com:465/);
    assert.match(text, /tsa\.example\.com \(TSA_URL\); internal-CA signatures at PAdES B-T/);
    assert.match(text, /app local\.abc123/);
    assert.doesNotMatch(text, /Pa55word|very-secret-value|signservice:/);
  });

  describe('the Bitrix24 routes without the app keys', () => {
    let store: Store;
    let served: Awaited<ReturnType<typeof serveApp>>;
    before(async () => {
      const masterKey = MasterKey.fromBytes(crypto.randomBytes(32));
      store = await openEmbeddedStore(path.join(dir, 'routes.sqlite'), storeKeysFor(masterKey));
      served = await serveApp(
        createApp({
          config: {
            publicBaseUrl: 'https://sign.acme.test',
            otp: { issuer: 'SignService', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 },
            enrollmentLinkMinutes: 60,
            defaultLanguage: 'ru',
          },
          store,
          masterKey,
        }),
      );
    });
    after(async () => {
      await served.close();
      await store.close();
    });

    it('server-to-server calls get 503 and a JSON sentence naming the missing settings', async () => {
      for (const [method, route] of [
        ['POST', '/b24/install'],
        ['POST', '/b24/events'],
        ['POST', '/b24/robot'],
        ['POST', '/b24/placement/sign'],
        ['GET', '/b24/approve/some-token'],
      ] as const) {
        const r = await fetch(`${served.url}${route}`, { method });
        assert.equal(r.status, 503, `${method} ${route}`);
        if (route === '/b24/placement/sign' || route.startsWith('/b24/approve/')) continue;
        const body = (await r.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'B24_APP_NOT_CONFIGURED');
        assert.match(
          body.error.message,
          /^The Bitrix24 app is off on this SignService: .*B24_CLIENT_ID and B24_CLIENT_SECRET/,
        );
      }
    });

    it('the app page tells the administrator, in Russian and in English', async () => {
      const ru = await fetch(`${served.url}/b24/app`, { method: 'POST', headers: { 'accept-language': 'ru' } });
      assert.equal(ru.status, 503);
      const ruText = await ru.text();
      assert.match(ruText, /Приложение Битрикс24 не настроено/);
      assert.match(ruText, /B24_CLIENT_ID и B24_CLIENT_SECRET/);
      const en = await fetch(`${served.url}/b24/app?lang=en`, { method: 'POST' });
      assert.equal(en.status, 503);
      assert.match(await en.text(), /The Bitrix24 app is not set up/);
      // Other paths are answered as before.
      assert.equal((await fetch(`${served.url}/nothing-here`)).status, 404);
    });
  });
});
