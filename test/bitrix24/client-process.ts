/**
 * Runs Bitrix24 clients in child processes that share the parent's embedded store file: each opens the
 * store, says "ready", waits for "go" on stdin (so all start together), makes `calls` concurrent calls of
 * `user.current`, and prints how many succeeded. Proves the refresh lease works across processes.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const moduleUrl = (relative: string) => JSON.stringify(pathToFileURL(path.resolve(here, relative)).href);

const SCRIPT = `
import { createBitrix24Client } from ${moduleUrl('../../shared/bitrix24/rest-client.js')};
import { openEmbeddedStore } from ${moduleUrl('../../shared/store/embedded/embedded-store.js')};
import { MasterKey } from ${moduleUrl('../../shared/crypto/master-key.js')};
import { storeKeysFor } from ${moduleUrl('../../shared/store/create-store.js')};
const spec = JSON.parse(process.argv[1]);
const masterKey = MasterKey.fromBase64(spec.masterKey);
const store = await openEmbeddedStore(spec.storeFile, storeKeysFor(masterKey));
const client = createBitrix24Client({
  portals: store.portals,
  masterKey,
  app: spec.app,
  policy: { allowLoopback: true, oauthHosts: [] },
  backoff: { baseMs: 200, maxMs: 2000 },
});
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const results = await Promise.allSettled(Array.from({ length: spec.calls }, () => client.call(spec.memberId, 'user.current')));
for (const r of results) if (r.status === 'rejected') process.stderr.write(String(r.reason?.message ?? r.reason) + '\\n');
process.stdout.write('ok ' + results.filter((r) => r.status === 'fulfilled').length + '\\n');
await store.close();
process.stdin.destroy();
`;

export interface ClientProcessSpec {
  storeFile: string;
  masterKey: string;
  memberId: string;
  app: { clientId: string; clientSecret: string };
  calls: number;
}

/** Starts `count` processes, releases them together, and returns each one's number of successful calls. */
export async function runClientProcesses(count: number, spec: ClientProcessSpec): Promise<number[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, JSON.stringify(spec)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const outputs = children.map((child) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (out.includes('ready')) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`client process exited early (${code}): ${err}`));
      });
    });
    const done = new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => {
        const match = /ok (\d+)/.exec(out);
        if (code === 0 && match) resolve(Number(match[1]));
        else reject(new Error(`client process failed (${code}): ${err}`));
      });
    });
    return { ready, done, errors: () => err };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const child of children) child.stdin.write('go\n');
  return Promise.all(outputs.map((o) => o.done));
}
