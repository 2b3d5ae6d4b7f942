/**
 * Test support: an RFC 3161 timestamp authority on 127.0.0.1 (random port) backed by `openssl ts -reply`,
 * signing with the test PKI's TSA identity. Requests are answered one at a time, because openssl's serial file
 * is not locked.
 */

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.js';
import type { TestPki } from './test-pki.js';

/** A running test TSA. */
export interface TestTsa {
  /** `http://127.0.0.1:<port>/tsa` */
  url: string;
  /** Timestamp requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Policy OID the test TSA puts into its tokens (under the "example" arc 1.3.6.1.4.1.32473, RFC 5612). */
export const TEST_TSA_POLICY = '1.3.6.1.4.1.32473.1.1';

const MAX_REQUEST_BYTES = 64 * 1024;

/** Starts the TSA; call `close()` in `after`. */
export async function startTestTsa(pki: TestPki): Promise<TestTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'signservice-tsa-'));
  const config = join(dir, 'tsa.cnf');
  await writeFile(join(dir, 'serial'), '01\n');
  await writeFile(config, tsaConfig(dir, pki));
  let queue: Promise<unknown> = Promise.resolve();
  let sequence = 0;
  let answered = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    readBody(req)
      .then((body) => {
        // One openssl run at a time: the chain of promises is the lock on the serial file.
        const answer = queue.then(() => opensslReply(dir, config, ++sequence, body));
        queue = answer.catch(() => undefined);
        return answer;
      })
      .then((answer) => {
        answered++;
        res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' }).end(answer);
      })
      .catch((error: Error) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(error.message);
      });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    get requests() {
      return answered;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Answers one TimeStampReq with `openssl ts -reply`, through temp files named after the request number. */
async function opensslReply(dir: string, config: string, n: number, query: Buffer): Promise<Buffer> {
  const [queryFile, replyFile] = [join(dir, `q${n}.tsq`), join(dir, `r${n}.tsr`)];
  await writeFile(queryFile, query);
  try {
    const run = await runTool('openssl', [
      'ts',
      '-reply',
      '-config',
      config,
      '-queryfile',
      queryFile,
      '-out',
      replyFile,
    ]);
    if (run.exitCode !== 0) throw new Error(`openssl ts -reply failed (exit ${run.exitCode}): ${run.stderr}`);
    return await readFile(replyFile);
  } finally {
    await Promise.all([rm(queryFile, { force: true }), rm(replyFile, { force: true })]);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) req.destroy(new Error('request too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The `openssl ts` configuration [openssl-ts(1), "Configuration file options"]. */
function tsaConfig(dir: string, pki: TestPki): string {
  return `[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = ${dir}
serial = ${join(dir, 'serial')}
crypto_device = builtin
signer_cert = ${pki.tsa.certPath}
signer_key = ${pki.tsa.keyPath}
certs = ${pki.tsa.chainPath}
signer_digest = sha256
default_policy = ${TEST_TSA_POLICY}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;
}
