#!/usr/bin/env node
/**
 * `npm run bench:portal`: how many signatures fit into one portal's REST budget. 50 documents on a set of
 * deals (10 deals × 5 PDFs by default) go through the whole robot flow — robot call, the worker's
 * confirmation with the portal, the signer's notice, approval, fetch, signature on a SoftHSM2 token,
 * delivery to the deal, timeline comment, `bizproc.event.send`, the requester's outcome notice — with the
 * service as in production (a child process: HTTP app + worker, RabbitMQ) against the portal emulator at
 * Bitrix24's real limit: 2 requests/s, burst 50, a `batch` counting as one request (reference §1.7, §1.8).
 *
 * Figures, from the emulator's request log over the whole wave:
 * - requests per signed document (target ≤ 2.5) and what they were (downloads, direct calls, batches and
 *   the commands inside them);
 * - signatures per portal-minute: documents ÷ (requests ÷ 120), the sustained rate the budget allows
 *   (target ≥ 45);
 * - wall time from the first robot call to the last step closed with Result=signed (target ≤ 70 s);
 * - QUERY_LIMIT_EXCEEDED answers (target 0).
 * The figures of the code before this work are printed as cited (measured with this bench on that commit).
 * Options: --documents N (50), --deals N (10), --pdf-kb N (256: a ~256 KB noise PDF per document).
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { B24AppFixture } from '../test/b24app/b24app-fixture.js';
import { signingWave } from '../test/b24app/signing-wave.js';
import { ensureNoisePdf } from './support/bench-inputs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = { requestsPerDocument: 2.5, perPortalMinute: 45, wallSeconds: 70, queryLimitExceeded: 0 };
/** The wall-time target is for a batch of this many documents. */
const TARGET_DOCUMENTS = 50;
/**
 * The same bench (defaults) on the code before the budget work (commit 644ecb8: the coalescer already batched
 * small calls, but reads and writes went in separate batches, every deal read and every upload was its own,
 * and each document's file went up in a request of its own). Cited, not measured in this run.
 */
const BEFORE = { requests: 142, perDocument: 2.84, perPortalMinute: 42.3, wallSeconds: 46.2, queryLimitExceeded: 0 };
/** Requests a portal allows in a minute at 2/s. */
const PORTAL_MINUTE = 120;

function top(map: Record<string, number>): string {
  return Object.entries(map)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { documents: { type: 'string' }, deals: { type: 'string' }, 'pdf-kb': { type: 'string' } },
  });
  const documents = Number(values.documents ?? 50);
  const deals = Number(values.deals ?? 10);
  const pdfKb = Number(values['pdf-kb'] ?? 256);
  if (!(documents > 0 && deals > 0 && documents % deals === 0))
    throw new Error('--documents must be a multiple of --deals');
  const fx = new B24AppFixture();
  // Bitrix24's real limit on both sides: the emulator refuses over it, the service paces itself to it.
  await fx.start({
    emulator: { rateLimit: { burst: 50, drainPerSecond: 2 } },
    env: { B24_RATE_PER_SECOND: '2', B24_RATE_BURST: '50', WORKER_PREFETCH: '64', LOG_LEVEL: 'warn' },
  });
  try {
    const portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    const signer = await fx.signer(portal, 'bulk', { otpDisabled: true });
    const input = await ensureNoisePdf({
      cacheDir: fx.dir,
      scriptPath: path.join(ROOT, 'bench/support/make-noise-pdf.py'),
      targetBytes: pdfKb * 1024,
      seed: 11,
    });
    const pdf = fs.readFileSync(input.path);
    // Start with the portal's bucket empty, as after a quiet spell.
    while (portal.state.bucket.level(Date.now()) > 0) await sleep(250);
    process.stdout.write(
      `${documents} documents (${pdf.length} bytes each) on ${deals} deals; 2 requests/s, burst 50\n`,
    );
    const wave = await signingWave(fx, portal, {
      deals,
      perDeal: documents / deals,
      pdf: () => pdf,
      signer,
      timeoutMs: 600_000,
      progress: (line) => process.stdout.write(`  ${line}\n`),
    });
    const t = wave.tally;
    const perDocument = t.requests / wave.documents;
    const perMinute = wave.documents / (t.requests / PORTAL_MINUTE);
    const met = {
      requestsPerDocument: perDocument <= TARGET.requestsPerDocument,
      perPortalMinute: perMinute >= TARGET.perPortalMinute,
      wallSeconds: wave.documents === TARGET_DOCUMENTS ? wave.signedSeconds <= TARGET.wallSeconds : undefined,
      queryLimitExceeded: t.queryLimitExceeded <= TARGET.queryLimitExceeded,
    };
    const verdict = (ok: boolean | undefined) =>
      ok === undefined ? `not judged (the target is for ${TARGET_DOCUMENTS} documents)` : ok ? 'MET' : 'NOT MET';
    process.stdout.write(
      `portal requests: ${t.requests} for ${wave.documents} signed documents\n` +
        `  downloads ${t.downloads}; direct calls ${top(t.direct) || 'none'}\n` +
        `  ${t.batches} batches carrying ${t.commands} commands (${(t.commands / Math.max(1, t.batches)).toFixed(1)} a batch, ` +
        `largest ${(t.largestBatchBytes / 1024).toFixed(0)} KiB): ${top(t.inBatch)}\n` +
        `requests per signed document   ${perDocument.toFixed(2)}   target ≤ ${TARGET.requestsPerDocument}: ${verdict(met.requestsPerDocument)}\n` +
        `signatures per portal-minute   ${perMinute.toFixed(1)}   target ≥ ${TARGET.perPortalMinute}: ${verdict(met.perPortalMinute)}\n` +
        `wall time, first robot call → last step signed   ${wave.signedSeconds.toFixed(1)} s   target ≤ ${TARGET.wallSeconds} s: ${verdict(met.wallSeconds)}\n` +
        `  (every requester told the outcome after ${wave.settledSeconds.toFixed(1)} s)\n` +
        `QUERY_LIMIT_EXCEEDED   ${t.queryLimitExceeded}   target ${TARGET.queryLimitExceeded}: ${verdict(met.queryLimitExceeded)}\n` +
        `before the budget work (cited: this bench with its defaults on commit 644ecb8): ${BEFORE.requests} requests, ` +
        `${BEFORE.perDocument} a document, ${BEFORE.perPortalMinute} a portal-minute, ${BEFORE.wallSeconds} s, ` +
        `${BEFORE.queryLimitExceeded} QUERY_LIMIT_EXCEEDED\n`,
    );
    const results = path.join(ROOT, 'bench/results');
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(
      path.join(results, 'portal-budget.json'),
      `${JSON.stringify(
        {
          documents: wave.documents,
          deals,
          pdfBytes: pdf.length,
          perDocument,
          perMinute,
          signedSeconds: wave.signedSeconds,
          settledSeconds: wave.settledSeconds,
          tally: t,
          target: TARGET,
          met,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await fx.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:portal failed: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
