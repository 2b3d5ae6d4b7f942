/**
 * What long-term validation costs: signing one PDF at PAdES B-B, B-T, B-LT and B-LTA (in process, an internal-CA
 * EC P-256 key; the CA's OCSP responder and CRL served on 127.0.0.1 by the service's own router; the test TSA,
 * which runs `openssl ts -reply` per request), for ~1 MB and ~30 MB inputs: median wall time of N runs, the
 * bytes each level adds and the ratio to B-B. Then the verification page: POST /verify of the 30 MB B-LTA file
 * through the real app over HTTP (multipart, verify, stamp page rendered), against its named peer, poppler's
 * `pdfsig -no-ocsp` on the same file. Prints the tables and writes bench/results/ltv-overhead.json.
 *
 *   npm run build && node dist/bench/ltv-overhead.js [--runs N] [--cache-dir DIR]
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApp } from '../activity/app.js';
import { signPdfBufferAtLevel } from '../shared/pdf/long-term/sign-at-level.js';
import { storeKeysFor } from '../shared/store/create-store.js';
import { openEmbeddedStore } from '../shared/store/embedded/embedded-store.js';
import { startServedCa } from '../test/support/internal-ca-server.js';
import { runTool } from '../test/support/run-tool.js';
import { serveAppFor } from '../test/support/serve-app.js';
import { createTestPki } from '../test/support/test-pki.js';
import { startTestTsa } from '../test/support/tsa-server.js';
import { ensureNoisePdf } from './support/bench-inputs.js';
import { median } from './support/bench-rows.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOISE_SCRIPT = path.join(REPO_ROOT, 'bench', 'support', 'make-noise-pdf.py');
const RESULTS_FILE = path.join(REPO_ROOT, 'bench', 'results', 'ltv-overhead.json');
const LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
const SIZES = [
  { label: '1 MB', bytes: 1_000_000, seed: 1 },
  { label: '30 MB', bytes: 30_000_000, seed: 30 },
] as const;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, 'cache-dir': { type: 'string' } } });
  const runs = Number(values.runs ?? 5);
  const cacheDir = values['cache-dir'] ?? path.join(os.tmpdir(), 'signservice-bench-inputs');
  mkdirSync(cacheDir, { recursive: true });
  const pki = await createTestPki();
  const ca = await startServedCa(pki);
  const tsa = await startTestTsa(pki);
  const key = ca.keyOf(await ca.issue('Bench Signer'));
  const rows: { size: string; level: string; ms: number; ratio: number; addedBytes: number }[] = [];
  let blta30: Buffer | undefined;
  try {
    for (const size of SIZES) {
      const input = readFileSync(
        (await ensureNoisePdf({ cacheDir, scriptPath: NOISE_SCRIPT, targetBytes: size.bytes, seed: size.seed })).path,
      );
      const baseline: number[] = [];
      for (const level of LEVELS) {
        const samples: number[] = [];
        let added = 0;
        for (let i = 0; i < runs + 1; i++) {
          const { ms, value } = await timed(() => signPdfBufferAtLevel(input, { key }, { level, tsaUrl: tsa.url }));
          if (i > 0) samples.push(ms); // the first run warms up the JIT and the caches
          added = value.bytes.length - input.length;
          if (level === 'B-LTA' && size.bytes > 1e7) blta30 = value.bytes;
        }
        const ms = median(samples)!;
        if (level === 'B-B') baseline.push(ms);
        rows.push({ size: size.label, level, ms, ratio: ms / baseline[0]!, addedBytes: added });
        console.log(
          `${size.label.padEnd(6)} ${level.padEnd(6)} ${ms.toFixed(1).padStart(8)} ms  x${(ms / baseline[0]!).toFixed(2)}  +${added} bytes`,
        );
      }
    }
    const page = await verifyPageTimes(blta30!, ca, runs);
    console.log(`\nverification page, 30 MB B-LTA file (POST /verify over HTTP): ${page.pageMs.toFixed(0)} ms median`);
    console.log(
      `peer: pdfsig -no-ocsp on the same file: ${page.pdfsigMs.toFixed(0)} ms median (ratio x${(page.pageMs / page.pdfsigMs).toFixed(2)})`,
    );
    mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify({ runs, rows, verifyPage: page }, null, 2)}\n`);
  } finally {
    await tsa.close();
    await ca.stop();
    ca.cleanup();
  }
}

async function verifyPageTimes(pdf: Buffer, ca: Awaited<ReturnType<typeof startServedCa>>, runs: number) {
  const dir = path.join(os.tmpdir(), `ltv-bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), storeKeysFor(ca.masterKey));
  const served = await serveAppFor((url) =>
    createApp({
      config: {
        publicBaseUrl: url,
        otp: { issuer: 'SignService', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 },
        enrollmentLinkMinutes: 60,
        defaultLanguage: 'en',
        dataDir: ca.dir,
        publication: { trustRootFiles: [], verifyMaxBytes: 40 * 1024 * 1024, crlCheckIntervalMs: 3_600_000 },
      },
      store,
      masterKey: ca.masterKey,
    }),
  );
  const file = path.join(dir, 'b-lta-30mb.pdf');
  await writeFile(file, pdf);
  try {
    const page: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const form = await fetch(`${served.url}/verify`);
      const cookie = form.headers.get('set-cookie')!.split(';')[0]!;
      const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())![1]!;
      const body = new FormData();
      body.set('csrf_token', token);
      body.set('pdf', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'b-lta.pdf');
      const { ms } = await timed(async () => {
        const answer = await fetch(`${served.url}/verify`, {
          method: 'POST',
          body,
          headers: { Cookie: cookie, Origin: served.url },
        });
        const html = await answer.text();
        if (answer.status !== 200 || !html.includes('verify-card'))
          throw new Error(`verify page answered ${answer.status}`);
      });
      const pdfsig = await timed(() => runTool('pdfsig', ['-no-ocsp', file]));
      if (i > 0) {
        page.push(ms);
        peer.push(pdfsig.ms);
      }
    }
    return { pageMs: median(page)!, pdfsigMs: median(peer)! };
  } finally {
    await served.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
