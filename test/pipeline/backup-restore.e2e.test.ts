/**
 * Backup and restore: `signservice backup` while `npm start` (embedded) signs a stream of requests, then
 * `signservice restore` into a fresh directory — refused over existing data or under another master key —
 * and a service started on the restored directory: `audit verify` OK, every request completed before the
 * backup is there and completed, the requests that were on their way complete, a new one is signed, and
 * `signservice doctor` finds nothing wrong.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generateMasterKeyBytes } from '../../shared/crypto/master-key.js';
import { FINAL_STATES } from '../../shared/domain/sign-request.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import { runCli } from '../support/cli.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { waitForFinal } from './exactly-once.js';
import { inProcessSubmitter, type Submit } from './in-process-submitter.js';
import { type InternalCa, makeInternalCa } from './internal-ca.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, signLogOf, type TestSigner } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun } from './pipeline-run.js';

describe('backup during load, restore into an empty directory, serve from it (embedded)', function () {
  this.timeout(240_000);
  let run: PipelineRun;
  let ca: InternalCa;
  let signer: TestSigner;
  let service: ServiceProcess | undefined;

  before(async () => {
    run = await openPipelineRun('embedded', 'backup');
    ca = await makeInternalCa(run.env, run.dir);
    signer = await addSigner(run.store, run.masterKey, { login: 'olga', certId: ca.certId, otpDisabled: true });
  });

  after(async () => {
    if (service) await service.stop('SIGKILL').catch(() => undefined);
    await run?.close();
  });

  it('the restored directory serves: audit verify OK, every completed request present, the rest complete', async () => {
    const pdfs = await writePdfs(path.join(run.dir, 'in'), 31, 'bk');
    const submit: Submit = inProcessSubmitter(run);
    const one = async (pdf: string) =>
      (await submit({ signer, certId: ca.certId, inputPath: pdf, outputPath: pdf.replace(/\.pdf$/, '-signed.pdf') }))
        .request.id;
    service = await startServiceProcess({ entry: 'activity', port: await freePort(), env: run.env });
    const first: string[] = [];
    for (const pdf of pdfs.slice(0, 10)) first.push(await one(pdf));
    await waitForFinal(run.store, first, { timeoutMs: 60_000 });
    // Load: twenty more requests submitted one after the other while the backup runs.
    const load = (async () => {
      const ids: string[] = [];
      for (const pdf of pdfs.slice(10, 30)) ids.push(await one(pdf));
      return ids;
    })();
    const completedBefore = (await run.store.signRequests.list({ state: 'completed' }, 1000)).map((r) => r.id);
    const backupDir = path.join(run.dir, 'backup');
    const backup = await runCli(['backup', backupDir], run.env);
    const during = await load;
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stderr, /The master key .* is NOT in the backup/);
    await waitForFinal(run.store, during, { timeoutMs: 60_000 });
    assert.deepEqual(await service.stop('SIGTERM'), { code: 0, signal: null });
    service = undefined;

    const fresh = path.join(run.dir, 'restored');
    // A short sweep: requests stored after the queue's copy was taken have no job until it runs.
    const env = { ...run.env, SIGNSERVICE_DATA_DIR: fresh, RECOVERY_SWEEP_SECONDS: '2' };
    const otherKey = { ...env, SIGNSERVICE_MASTER_KEY: generateMasterKeyBytes().toString('base64') };
    const wrongKey = await runCli(['restore', backupDir], otherKey);
    assert.equal(wrongKey.code, 78, wrongKey.stderr);
    assert.match(wrongKey.stderr, /is not the one this backup's secrets are sealed under/);
    const overExisting = await runCli(['restore', backupDir, '--data-dir', run.dataDir], run.env);
    assert.equal(overExisting.code, 64, overExisting.stderr);
    assert.match(overExisting.stderr, /is not empty .* nothing is overwritten/);
    const restore = await runCli(['restore', backupDir], env);
    assert.equal(restore.code, 0, restore.stderr);

    const verify = await runCli(['audit', 'verify'], env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^OK: \d+ entries/);
    const restored = await openEmbeddedStore(path.join(fresh, 'signservice.sqlite'), storeKeysFor(run.masterKey));
    const restoredQueue = new EmbeddedJobQueue({ file: path.join(fresh, 'queue.sqlite') });
    try {
      for (const id of completedBefore) assert.equal((await restored.signRequests.get(id))?.state, 'completed', id);
      service = await startServiceProcess({ entry: 'activity', port: await freePort(), env });
      await service.waitReady();
      const all = (await restored.signRequests.list({}, 1000)).map((r) => r.id);
      const settled = await waitForFinal(restored, all, {
        timeoutMs: 60_000,
        context: () => service!.output().slice(-3000),
      });
      assert.ok(settled.every((r) => FINAL_STATES.has(r.state) && r.state === 'completed'));
      const again = inProcessSubmitter({ ...run, dataDir: fresh, store: restored, queue: restoredQueue });
      const last = pdfs[30] as string;
      const { request } = await again({
        signer,
        certId: ca.certId,
        inputPath: last,
        outputPath: `${last}.restored.pdf`,
      });
      await waitForFinal(restored, [request.id], { timeoutMs: 30_000, context: () => service!.output() });
      const log = await signLogOf(restored);
      assert.ok(log.some((e) => e.requestId === request.id && e.action === 'signed_without_otp'));
      console.log(
        `      ${completedBefore.length} completed before the backup, all restored; ${settled.length} requests in ` +
          `the restored store, all completed; the restored service signed a new one`,
      );
    } finally {
      await restoredQueue.close();
      await restored.close();
    }
    assert.deepEqual(await service.stop('SIGTERM'), { code: 0, signal: null });
    service = undefined;
    const doctor = await runCli(['doctor'], env);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /^OK\s+store\s+.*integrity_check ok/m);
    assert.ok(
      fs.existsSync(path.join(fresh, 'signservice.sqlite.created')),
      'the restored store is guarded by its marker',
    );
  });
});
