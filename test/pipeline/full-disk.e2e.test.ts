/**
 * A full disk while requests flow: `npm start` (embedded) with its data directory on a small tmpfs that the
 * test fills to the last byte mid-batch. While it is full the process must not spin (under half a core over
 * a 5 s window), /ready says why it is not ready, a submit either is accepted or says nothing was stored,
 * and no request is signed more often than the queue's attempts allow (counted from the 'signing the
 * document' line the worker writes before every use of a key). Once space is back, every accepted request
 * completes exactly once and nothing stray stays behind.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RETRY_POLICY } from '../../shared/queue/queue-port.js';
import { coreShareOver } from '../support/process-usage.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { mountSmallDisk, type SmallDisk } from '../support/small-disk.js';
import { assertExactlyOnce, assertNoLeftovers, countCompleted, requestsInLog, waitForFinal } from './exactly-once.js';
import { inProcessSubmitter, type Submit } from './in-process-submitter.js';
import { type InternalCa, makeInternalCa } from './internal-ca.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, type TestSigner } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun } from './pipeline-run.js';

const WAVE = 12;

describe('a full disk while requests flow (embedded, `npm start`, data directory on a 24 MB tmpfs)', function () {
  this.timeout(240_000);
  let disk: SmallDisk;
  let run: PipelineRun;
  let service: ServiceProcess | undefined;

  before(async () => {
    disk = await mountSmallDisk(24, 'full-disk');
    run = await openPipelineRun('embedded', 'full-disk', { dataDir: disk.dir });
  });

  after(async () => {
    if (service) await service.stop('SIGKILL').catch(() => undefined);
    await run?.close();
    await disk?.dispose();
  });

  it('no hot loop, no extra signatures; every accepted request completes once after space is freed', async () => {
    const ca: InternalCa = await makeInternalCa(run.env, run.dir);
    const signer: TestSigner = await addSigner(run.store, run.masterKey, {
      login: 'olga',
      certId: ca.certId,
      otpDisabled: true,
    });
    const pdfs = await writePdfs(path.join(run.dir, 'in'), 2 * WAVE, 'full');
    const submit: Submit = inProcessSubmitter(run);
    const accepted: string[] = [];
    let refused = 0;
    const wave = async (files: string[]) => {
      for (const pdf of files) {
        try {
          const outputPath = pdf.replace(/\.pdf$/, '-signed.pdf');
          accepted.push((await submit({ signer, certId: ca.certId, inputPath: pdf, outputPath })).request.id);
        } catch (error) {
          assert.match((error as Error).message, /^Nothing was submitted: /);
          refused++;
        }
      }
    };
    // The first wave waits in the queue; the service (one job at a time) starts on it, and the disk is
    // filled the moment the first request completes: the others are certainly still on their way.
    await wave(pdfs.slice(0, WAVE));
    service = await startServiceProcess({
      entry: 'activity',
      port: await freePort(),
      env: { ...run.env, RECOVERY_SWEEP_SECONDS: '2', MIN_FREE_DISK_MB: '1', WORKER_PREFETCH: '1' },
    });
    while ((await countCompleted(run.store, accepted)) === 0) await sleep(5);
    const filled = disk.fill();
    const pendingWhenFull = accepted.length - (await countCompleted(run.store, accepted));
    assert.ok(pendingWhenFull >= WAVE / 2, `requests were on their way when the disk filled (${pendingWhenFull})`);
    await wave(pdfs.slice(WAVE));
    const share = await coreShareOver(service.child.pid as number, 5000);
    const ready = await service.get('/ready');
    disk.free();
    const freedAt = Date.now();

    assert.equal(ready.status, 503, 'not ready while the disk is full');
    assert.match(ready.body, /below MIN_FREE_DISK_MB/);
    assert.ok(share < 0.5, `the process used ${(share * 100).toFixed(0)} % of a core while the disk was full`);
    assert.ok(refused > 0, 'submits on the full disk were refused, saying nothing was stored');
    const requests = await waitForFinal(run.store, accepted, {
      timeoutMs: 150_000,
      context: () => service!.output().slice(-4000),
    });
    const recovered = (Date.now() - freedAt) / 1000;
    await assertExactlyOnce(run.store, requests, {
      masterKey: run.masterKey,
      action: 'signed_without_otp',
      pdfsig: { nssDir: ca.nssDir, every: 6 },
    });
    const signings = new Map<string, number>();
    for (const id of requestsInLog(service.output(), 'signing the document'))
      signings.set(id, (signings.get(id) ?? 0) + 1);
    const most = Math.max(...accepted.map((id) => signings.get(id) ?? 0));
    assert.ok(
      most <= DEFAULT_RETRY_POLICY.maxAttempts,
      `a request was signed ${most} times, more than its ${DEFAULT_RETRY_POLICY.maxAttempts} attempts`,
    );
    await assertNoLeftovers([run.dataDir, path.join(run.dir, 'in')], 15_000);
    console.log(
      `      filled ${(filled / 1024 / 1024).toFixed(1)} MB with ${pendingWhenFull} requests on their way; ` +
        `${accepted.length} accepted, ${refused} refused with ` +
        `"nothing was submitted"; ${(share * 100).toFixed(1)} % of a core while full; all done ` +
        `${recovered.toFixed(1)} s after space was freed; at most ${most} signing(s) per request`,
    );
  });
});
