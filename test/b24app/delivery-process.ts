/**
 * Runs the Bitrix24 document gateway's deliveries in child processes — separate worker processes as in
 * production: each opens the parent's embedded store file (the portal's tokens, the leases), builds its own
 * REST client, coalescer and gateway, says "ready", waits for "go" on stdin (so all start together),
 * delivers its signed files, and prints the facts of each delivery (or its error) as one JSON line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import type { DeliveryFacts } from '../../worker/gateways/document-gateway.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleUrl = (relative: string) => JSON.stringify(pathToFileURL(path.resolve(here, relative)).href);

const SCRIPT = `
import fs from 'node:fs';
import { createBitrix24Client } from ${moduleUrl('../../shared/bitrix24/rest-client.js')};
import { CallCoalescer } from ${moduleUrl('../../shared/bitrix24/call-coalescer.js')};
import { DealReads } from ${moduleUrl('../../shared/bitrix24/deal-reads.js')};
import { PortalGate } from ${moduleUrl('../../shared/bitrix24/portal-gate.js')};
import { openEmbeddedStore } from ${moduleUrl('../../shared/store/embedded/embedded-store.js')};
import { MasterKey } from ${moduleUrl('../../shared/crypto/master-key.js')};
import { storeKeysFor } from ${moduleUrl('../../shared/store/create-store.js')};
import { createLogger } from ${moduleUrl('../../shared/logger.js')};
import { bitrix24DocumentGateway } from ${moduleUrl('../../worker/gateways/bitrix24-document-gateway.js')};
const spec = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const masterKey = MasterKey.fromBase64(spec.masterKey);
const store = await openEmbeddedStore(spec.storeFile, storeKeysFor(masterKey));
const logger = createLogger({ level: 'info', sink: (line) => process.stderr.write(line + '\\n') });
const policy = { allowLoopback: true, oauthHosts: [] };
const client = createBitrix24Client({ portals: store.portals, masterKey, app: spec.app, policy, logger, backoff: { baseMs: 200, maxMs: 2000 } });
const calls = new CallCoalescer(client, { logger });
const b24 = { client, calls, deals: new DealReads(calls), gate: new PortalGate(), policy, clientId: spec.app.clientId };
const gateway = bitrix24DocumentGateway({ b24, maxBytes: 10 * 1024 * 1024, logger, leases: store.leases });
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = await Promise.allSettled(spec.deliveries.map((d) => gateway.deliver(d.ref, Buffer.from(d.signed, 'base64'))));
const out = results.map((r) => (r.status === 'fulfilled' ? { facts: r.value } : { error: String(r.reason?.code ?? '') + ' ' + String(r.reason?.message ?? r.reason) }));
process.stdout.write('result ' + JSON.stringify(out) + '\\n');
await store.close();
process.stdin.destroy();
`;

export interface DeliveryProcessSpec {
  storeFile: string;
  masterKey: string;
  app: { clientId: string; clientSecret: string };
  /** What this process delivers: the resolved document and the signed bytes. */
  deliveries: { ref: DocumentRef; signed: Buffer }[];
}

export type DeliveryResult = { facts: DeliveryFacts } | { error: string };

/**
 * Starts one process per spec, releases them together once all are ready, and returns each one's results
 * (in the order of its deliveries). `dir` holds the spec files.
 */
export async function runDeliveryProcesses(dir: string, specs: DeliveryProcessSpec[]): Promise<DeliveryResult[][]> {
  const children = specs.map((spec, i) => {
    const file = path.join(dir, `delivery-process-${i}.json`);
    const deliveries = spec.deliveries.map((d) => ({ ref: d.ref, signed: d.signed.toString('base64') }));
    fs.writeFileSync(file, JSON.stringify({ ...spec, deliveries }));
    return spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  });
  const outputs = children.map((child) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (out.includes('ready\n')) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`delivery process exited early (${code}): ${err}`));
      });
    });
    const done = exited.then((code) => {
      const line = out.split('\n').find((l) => l.startsWith('result '));
      if (code !== 0 || !line) throw new Error(`delivery process failed (${code}): ${err}`);
      return JSON.parse(line.slice('result '.length)) as DeliveryResult[];
    });
    return { ready, done, log: () => err };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }
  for (const child of children) child.stdin.write('go\n');
  return Promise.all(outputs.map((o) => o.done));
}
