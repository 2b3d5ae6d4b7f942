/**
 * Test setup for the Bitrix24 client: the portal emulator, a tiny "app" server that records what the portal
 * POSTs to it (raw body and query, as they came over the wire), an embedded store in a temp dir, a master
 * key, and a log sink that keeps every line so tests can prove no token was written.
 */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { EndpointPolicy } from '../../shared/bitrix24/endpoint-policy.js';
import { parseFormBody } from '../../shared/bitrix24/form-body.js';
import { parseB24Payload, ZInstallEvent } from '../../shared/bitrix24/payloads.js';
import {
  type Bitrix24Client,
  type Bitrix24ClientOptions,
  createBitrix24Client,
} from '../../shared/bitrix24/rest-client.js';
import { savePortalInstall } from '../../shared/bitrix24/save-portal-install.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { createLogger } from '../../shared/logger.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { PortalEmulatorOptions } from '../support/bitrix24-emulator/index.js';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';

/** One POST the app server received. */
export interface Received {
  path: string;
  query: URLSearchParams;
  contentType: string;
  body: Buffer;
}

/** A local server standing in for the app: answers 200 to every POST and keeps the request. */
export class AppServer {
  readonly received: Received[] = [];
  #server: Server | undefined;
  origin = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://app.local');
        this.received.push({
          path: url.pathname,
          query: url.searchParams,
          contentType: req.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** The last request to `pathname`. */
  last(pathname: string): Received {
    const found = this.received.filter((r) => r.path === pathname).at(-1);
    if (!found) throw new Error(`the app server received nothing at ${pathname}`);
    return found;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** Accepts the emulator's plain-http loopback endpoints; everything else as in production. */
export const TEST_POLICY: EndpointPolicy = {
  allowLoopback: true,
  oauthHosts: ['oauth.bitrix.info', 'oauth.bitrix24.tech'],
};

/** Everything a client test needs. */
export class B24Fixture {
  emulator!: PortalEmulator;
  readonly app = new AppServer();
  store!: Store;
  storeFile = '';
  dir = '';
  readonly masterKeyBytes = generateMasterKeyBytes();
  readonly masterKey = MasterKey.fromBytes(this.masterKeyBytes);
  readonly logs: string[] = [];
  readonly logger = createLogger({ level: 'debug', sink: (line) => this.logs.push(line) });
  /** Every token the tests saw, to prove none reached a log line. */
  readonly secrets = new Set<string>();

  async start(options: PortalEmulatorOptions): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24-client-'));
    this.storeFile = path.join(this.dir, 'signservice.sqlite');
    this.store = await openEmbeddedStore(this.storeFile, storeKeysFor(this.masterKey));
    await this.app.start();
    this.emulator = await startPortalEmulator(options);
  }

  /** Installs the app on `portal` (ONAPPINSTALL to the app server) and stores it from the received body. */
  async install(portal: PortalHandle): Promise<void> {
    const result = await this.emulator.installApp(portal, `${this.app.origin}/b24/install`);
    this.secrets
      .add(result.grant.accessToken)
      .add(result.grant.refreshToken)
      .add(portal.applicationToken)
      .add(portal.clientSecret);
    const event = parseB24Payload(ZInstallEvent, parseFormBody(this.app.last('/b24/install').body), 'install event');
    await savePortalInstall(
      { portals: this.store.portals, masterKey: this.masterKey, policy: TEST_POLICY },
      event.auth,
      new Date(),
    );
  }

  /** A client for `portal`'s app keys (all portals of one emulator share them when `app` is set). */
  client(portal: PortalHandle, options: Partial<Bitrix24ClientOptions> = {}): Bitrix24Client {
    return createBitrix24Client({
      portals: this.store.portals,
      masterKey: this.masterKey,
      app: { clientId: portal.clientId, clientSecret: portal.clientSecret },
      policy: TEST_POLICY,
      logger: this.logger,
      backoff: { baseMs: 200, maxMs: 2000 },
      ...options,
    });
  }

  /** OAuth token requests the emulator received for `portal`. */
  refreshes(portal: PortalHandle): number {
    return portal.requests().filter((r) => r.kind === 'oauth' && r.path.startsWith('/oauth/token')).length;
  }

  async close(): Promise<void> {
    await this.emulator?.close();
    await this.app.close();
    await this.store?.close();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
