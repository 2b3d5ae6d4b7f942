/**
 * Loopback is off by default: the service as `npm start` runs it (embedded mode, the Bitrix24 keys set, no
 * B24_ALLOW_LOOPBACK) gets unauthenticated install, update and install-page POSTs that name endpoints on
 * 127.0.0.1 — where a listening socket records every connection — and must not open a single one: the
 * endpoints are refused before any request is made (400), so the service cannot be used to reach the host's
 * own services.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMasterKeyBytes } from '../../shared/crypto/master-key.js';
import { postB24Form } from '../support/post-b24-form.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';

const post = postB24Form;

describe('B24_ALLOW_LOOPBACK is off by default: no request to the host itself', function () {
  this.timeout(60_000);
  let dir: string;
  let service: ServiceProcess | undefined;
  let trap: net.Server;
  const connections: string[] = [];
  let trapPort = 0;

  before(async () => {
    assert.equal(process.env.B24_ALLOW_LOOPBACK, undefined, 'the test needs the default configuration');
    trap = net.createServer((socket) => {
      connections.push(`${socket.remoteAddress}:${socket.remotePort}`);
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    trapPort = (trap.address() as net.AddressInfo).port;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopback-default-'));
    const port = await freePort();
    service = await startServiceProcess({
      entry: 'activity',
      port,
      args: ['--no-worker'],
      env: {
        SIGNSERVICE_DATA_DIR: path.join(dir, 'data'),
        SIGNSERVICE_MASTER_KEY: generateMasterKeyBytes().toString('base64'),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        AMQP_URL: '',
        MONGO_URL: '',
        B24_CLIENT_ID: 'local.loopback.test',
        B24_CLIENT_SECRET: crypto.randomBytes(16).toString('hex'),
        LOG_LEVEL: 'info',
      },
    });
    await service.waitReady();
  });
  after(async () => {
    await service?.stop();
    await new Promise<void>((resolve) => trap.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses install, update and install page naming http://127.0.0.1 endpoints without connecting', async () => {
    const local = `http://127.0.0.1:${trapPort}`;
    const auth = {
      access_token: 'a'.repeat(32),
      refresh_token: 'r'.repeat(32),
      expires_in: '3600',
      scope: 'crm',
      domain: `127.0.0.1:${trapPort}`,
      server_endpoint: `${local}/rest/`,
      client_endpoint: `${local}/portal/rest/`,
      member_id: 'b'.repeat(32),
      application_token: 'c'.repeat(32),
      status: 'L',
    };
    const ts = String(Math.floor(Date.now() / 1000));
    const base = service!.url;
    const answers = [
      await post(`${base}/b24/install`, { event: 'ONAPPINSTALL', data: { VERSION: '1' }, ts, auth }),
      await post(`${base}/b24/events`, { event: 'ONAPPUPDATE', data: { VERSION: '2' }, ts, auth }),
      await post(`${base}/b24/app?DOMAIN=127.0.0.1&PROTOCOL=0&LANG=en`, {
        AUTH_ID: auth.access_token,
        AUTH_EXPIRES: '3600',
        REFRESH_ID: auth.refresh_token,
        SERVER_ENDPOINT: auth.server_endpoint,
        APPLICATION_TOKEN: auth.application_token,
        member_id: auth.member_id,
        PLACEMENT: 'DEFAULT',
        PLACEMENT_OPTIONS: '[]',
      }),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 400, answer.body);
      assert.match(answer.body, /B24_INVALID_PAYLOAD/);
    }
    for (const json of answers.slice(0, 2)) assert.match(json.body, /loopback host 127\.0\.0\.1 is not allowed/);
    await sleep(1000); // anything started in the background would have connected by now
    assert.deepEqual(connections, [], 'no connection reached the host-local socket');
    assert.match(service!.output(), /portal bind without proof of an administrator/, 'each attempt is logged');
  });
});
