/**
 * Test support: the internal CA in a temporary data directory, publishing its root, CRL and OCSP responder
 * over HTTP on 127.0.0.1 exactly as the service does (the same router), with certificates issued for it, and
 * an NSS database that trusts its root and the test PKI's root (for the TSA), for pdfsig.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { caPublicationRoutes } from '../../activity/routes/ca-publication.js';
import type { CaRootRecord, IssuedRecord } from '../../shared/crypto/internal-ca/ca-store.js';
import { createRoot } from '../../shared/crypto/internal-ca/create-root.js';
import { FileCaStore } from '../../shared/crypto/internal-ca/file-ca-store.js';
import { openInternalSigningKey } from '../../shared/crypto/internal-ca/internal-signing-key.js';
import { issueCertificate } from '../../shared/crypto/internal-ca/issue-certificate.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { runTool } from './run-tool.js';
import { type ServedApp, serveApp } from './serve-app.js';
import type { TestPki } from './test-pki.js';

export interface ServedCa {
  dir: string;
  store: FileCaStore;
  masterKey: MasterKey;
  /** The master key as SIGNSERVICE_MASTER_KEY takes it (for the CLI and the service). */
  masterKeyBase64: string;
  root: CaRootRecord;
  rootPemPath: string;
  /** http://127.0.0.1:PORT: the CA's public base URL. */
  url: string;
  /** NSS database trusting this root and the test PKI's root (`sql:` form). */
  nssDir: string;
  issue(commonName: string, email?: string): Promise<IssuedRecord>;
  keyOf(record: IssuedRecord): SigningKey;
  /** Stops answering (the CA "goes away"); the data directory stays until `cleanup`. */
  stop(): Promise<void>;
  cleanup(): void;
}

/** Starts the CA; `dataDir` lets a test run the service over the same directory. */
export async function startServedCa(pki: TestPki, dataDir?: string): Promise<ServedCa> {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-served-ca-'));
  const store = new FileCaStore(dir);
  const keyBytes = generateMasterKeyBytes();
  const masterKeyBase64 = keyBytes.toString('base64');
  const masterKey = MasterKey.fromBytes(keyBytes);
  const app = new Koa();
  const router = caPublicationRoutes({ store, masterKey });
  app.use(router.routes()).use(router.allowedMethods());
  let served: ServedApp | undefined = await serveApp(app);
  const root = await createRoot({
    store,
    masterKey,
    keyType: 'ec-p256',
    subject: { commonName: 'Acme Internal CA', organization: 'ООО Акме', country: 'RU' },
    publicBaseUrl: served.url,
  });
  const rootPemPath = path.join(dir, 'root.pem');
  fs.writeFileSync(rootPemPath, pem(root.certificate));
  const nss = path.join(dir, 'nss');
  fs.mkdirSync(nss);
  await tool('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  await tool('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'Acme Internal CA', '-t', 'CT,C,C', '-i', rootPemPath]);
  await tool('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'Test Root', '-t', 'CT,C,C', '-i', pki.rootCertPath]);
  return {
    dir,
    store,
    masterKey,
    masterKeyBase64,
    root,
    rootPemPath,
    url: served.url,
    nssDir: `sql:${nss}`,
    issue: (commonName, email) =>
      issueCertificate({
        store,
        masterKey,
        keyType: 'ec-p256',
        subject: { commonName, organization: 'ООО Акме', ...(email ? { email } : {}) },
      }),
    keyOf: (record) => openInternalSigningKey(record, root, masterKey),
    async stop() {
      await served?.close();
      served = undefined;
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function pem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
}

async function tool(command: string, args: string[]): Promise<void> {
  const run = await runTool(command, args);
  if (run.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
}
