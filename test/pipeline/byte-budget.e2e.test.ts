/**
 * Backpressure by bytes: `npm start` (embedded) with WORKER_BYTE_BUDGET_MB=256 and a prefetch high enough
 * to take every job at once gets four 90 MB documents and twenty small ones. The budget lets one big
 * document be signed at a time (each costs about twice its size while signed), so the process's peak
 * resident memory stays under the budget + 150 MB; the small documents fit beside it and go past the big
 * ones that wait, so they are not starved. Everything completes exactly once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { peakRssBytes } from '../support/process-usage.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { assertExactlyOnce, waitForFinal } from './exactly-once.js';
import { inProcessSubmitter } from './in-process-submitter.js';
import { makeInternalCa } from './internal-ca.js';
import { writeLargePdf } from './make-large-pdf.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun } from './pipeline-run.js';

const MIB = 1024 * 1024;
const BUDGET_MB = 256;
const BIG = 4;
const SMALL = 20;

describe(`byte budget: ${BIG} documents of 90 MB and ${SMALL} small ones, budget ${BUDGET_MB} MB`, function () {
  this.timeout(300_000);
  let run: PipelineRun;
  let service: ServiceProcess | undefined;

  before(async () => {
    run = await openPipelineRun('embedded', 'budget');
  });

  after(async () => {
    if (service) await service.stop('SIGKILL').catch(() => undefined);
    await run?.close();
  });

  it('peak memory stays under budget + 150 MB, the small ones finish first, all exactly once', async () => {
    const ca = await makeInternalCa(run.env, run.dir);
    const signer = await addSigner(run.store, run.masterKey, { login: 'olga', certId: ca.certId, otpDisabled: true });
    const bigDir = path.join(run.dir, 'big');
    fs.mkdirSync(bigDir);
    const bigs: string[] = [];
    for (let i = 1; i <= BIG; i++) {
      const file = path.join(bigDir, `big-${i}.pdf`);
      await writeLargePdf(file, 90 * MIB, `Large contract ${i}`);
      bigs.push(file);
    }
    const smalls = await writePdfs(path.join(run.dir, 'small'), SMALL, 'small');
    service = await startServiceProcess({
      entry: 'activity',
      port: await freePort(),
      env: { ...run.env, WORKER_BYTE_BUDGET_MB: String(BUDGET_MB), WORKER_PREFETCH: '32' },
    });
    await service.waitReady();
    const submit = inProcessSubmitter(run);
    const ids: string[] = [];
    for (const pdf of [...bigs, ...smalls]) {
      const outputPath = pdf.replace(/\.pdf$/, '-signed.pdf');
      ids.push((await submit({ signer, certId: ca.certId, inputPath: pdf, outputPath })).request.id);
    }
    const began = Date.now();
    const finishedAt = new Map<string, number>();
    while (finishedAt.size < ids.length && Date.now() - began < 240_000) {
      for (const id of ids) {
        if (!finishedAt.has(id) && (await run.store.signRequests.get(id))?.state === 'completed') {
          finishedAt.set(id, Date.now() - began);
        }
      }
      await sleep(50);
    }
    const peak = peakRssBytes(service.child.pid as number);
    const requests = await waitForFinal(run.store, ids, {
      timeoutMs: 5000,
      context: () => service!.output().slice(-3000),
    });
    await assertExactlyOnce(run.store, requests, {
      masterKey: run.masterKey,
      action: 'signed_without_otp',
      pdfsig: { nssDir: ca.nssDir, every: 8 },
    });
    const bigDone = ids.slice(0, BIG).map((id) => finishedAt.get(id) as number);
    const smallDone = ids.slice(BIG).map((id) => finishedAt.get(id) as number);
    console.log(
      `      peak RSS ${(peak / MIB).toFixed(0)} MB (limit ${BUDGET_MB + 150}); small documents done by ` +
        `${Math.max(...smallDone)} ms, big ones at ${bigDone.join(', ')} ms`,
    );
    assert.ok(peak < (BUDGET_MB + 150) * MIB, `peak RSS ${(peak / MIB).toFixed(0)} MB`);
    const secondBig = [...bigDone].sort((a, b) => a - b)[1] as number;
    assert.ok(
      Math.max(...smallDone) < secondBig,
      `the small documents waited behind the big ones (last small ${Math.max(...smallDone)} ms, second big ${secondBig} ms)`,
    );
  });
});
