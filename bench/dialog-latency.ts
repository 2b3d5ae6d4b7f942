#!/usr/bin/env node
/**
 * `npm run bench:dialog`: how long a signer waits after pressing Sign in the Sign dialog. One run = the
 * dialog's submit (`POST /b24/dialog/sign` with the session and a fresh one-time code, exactly what the
 * page's script sends) until the portal emulator's deal holds the signed PDF in its field and the timeline
 * comment is written. The service runs as in production: a child process with RabbitMQ, the key on a
 * SoftHSM2 token, the real Bitrix24 client. Every run signs a fresh ~1 MB PDF on its own deal, for its own
 * signer (an authenticator code is accepted once per 30-second step and account). Runs are sequential:
 * this measures latency, not throughput.
 *
 * The emulator's and the client's per-portal rate limits are raised for the bench (Bitrix24 allows 2
 * requests/s, burst 50, per portal), so the figures are the service's own latency; `bench:portal` measures
 * what the real limit means for throughput. Options: --runs N (200), --warmup N (5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PDF_FIELD } from '../test/b24app/b24app-fixture.js';
import { B24UiFixture, type UiSigner } from '../test/b24ui/b24ui-fixture.js';
import type { PortalHandle } from '../test/support/bitrix24-emulator/index.js';
import { ensureNoisePdf } from './support/bench-inputs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = { p50: 300, p99: 1000 };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Opens the dialog as `signer` on `dealId` (placement POST) and returns its session and file choice. */
async function openDialog(fx: B24UiFixture, portal: PortalHandle, signer: UiSigner, dealId: number) {
  const opened = await fx.emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', signer.userId, { dealId });
  const session = /data-session="([^"]+)"/.exec(opened.response.body)?.[1];
  const csrf = /data-csrf="([^"]+)"/.exec(opened.response.body)?.[1];
  const file = /<select id="sign-file"[^>]*>\s*<option value="([^"]+)"/.exec(opened.response.body)?.[1];
  if (!session || !csrf || !file) throw new Error(`the dialog did not open (${opened.response.status})`);
  const [fieldCode, fileId] = file.split(':');
  return { session, csrf, fieldCode, fileId };
}

/** One signature: submit, then watch the emulator until the deal's file changed and the comment is there. */
async function oneRun(fx: B24UiFixture, portal: PortalHandle, signer: UiSigner, dealId: number): Promise<number> {
  const dialog = await openDialog(fx, portal, signer, dealId);
  const before = portal.getDeal(dealId)?.files[PDF_FIELD]?.[0]?.id;
  const body = JSON.stringify({
    fieldCode: dialog.fieldCode,
    fileId: dialog.fileId,
    certId: fx.certId,
    otp: signer.code(),
    visible: true,
    page: 'last',
    position: 'bottom-right',
  });
  const started = performance.now();
  const answer = await fetch(`${fx.baseUrl}/b24/dialog/sign`, {
    method: 'POST',
    // What the dialog's script sends (the browser adds the page's origin).
    headers: {
      'content-type': 'application/json',
      'x-dialog-session': dialog.session,
      'x-csrf-token': dialog.csrf,
      origin: new URL(fx.baseUrl).origin,
    },
    body,
  });
  if (answer.status !== 202) throw new Error(`submit answered ${answer.status}: ${await answer.text()}`);
  for (;;) {
    const now = portal.state.deals.get(dealId);
    const fileId = now?.files.get(PDF_FIELD)?.[0];
    if (fileId !== undefined && fileId !== before && portal.timeline(dealId).length > 0) {
      return performance.now() - started;
    }
    if (performance.now() - started > 30_000) throw new Error(`deal ${dealId} was not signed within 30 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, warmup: { type: 'string' } } });
  const runs = Number(values.runs ?? 200);
  const warmup = Number(values.warmup ?? 5);
  const fx = new B24UiFixture();
  await fx.start({
    emulator: { rateLimit: { burst: 100_000, drainPerSecond: 10_000 } },
    env: { B24_RATE_PER_SECOND: '10000', B24_RATE_BURST: '100000', LOG_LEVEL: 'warn', WORKER_PREFETCH: '4' },
  });
  try {
    const portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    portal.addFileField(PDF_FIELD, { multiple: false, label: 'Contract' });
    const input = await ensureNoisePdf({
      cacheDir: fx.dir,
      scriptPath: path.join(ROOT, 'bench/support/make-noise-pdf.py'),
      targetBytes: 1024 * 1024,
      seed: 7,
    });
    const pdf = fs.readFileSync(input.path);
    process.stdout.write(`input: ${input.bytes} bytes; ${warmup} warm-up + ${runs} measured runs\n`);
    const times: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const signer = await fx.uiSigner(portal, `signer${i}`);
      const dealId = fx.deal(portal, `Contract ${i}`, pdf);
      const ms = await oneRun(fx, portal, signer, dealId);
      if (i >= warmup) times.push(ms);
      if ((i + 1) % 25 === 0) process.stdout.write(`  ${i + 1} runs\n`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const figures = {
      runs: times.length,
      inputBytes: input.bytes,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) as number,
      mean: times.reduce((a, b) => a + b, 0) / times.length,
    };
    const met = figures.p50 <= TARGET.p50 && figures.p99 <= TARGET.p99;
    const f = (ms: number) => `${ms.toFixed(0)} ms`;
    process.stdout.write(
      `click → signed file on the deal + timeline comment (RabbitMQ, SoftHSM2, 1 MB PDF, ${figures.runs} runs):\n` +
        `  p50 ${f(figures.p50)}  p90 ${f(figures.p90)}  p99 ${f(figures.p99)}  max ${f(figures.max)}  mean ${f(figures.mean)}\n` +
        `  target p50 ≤ ${TARGET.p50} ms, p99 ≤ ${TARGET.p99} ms: ${met ? 'MET' : 'NOT MET'}\n`,
    );
    const results = path.join(ROOT, 'bench/results');
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(
      path.join(results, 'dialog-latency.json'),
      `${JSON.stringify({ ...figures, target: TARGET, met, times }, null, 2)}\n`,
    );
  } finally {
    await fx.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:dialog failed: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
