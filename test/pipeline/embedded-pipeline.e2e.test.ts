/**
 * End to end in embedded mode, with `npm start`'s entry (`node dist/activity/main.js`) as the one service
 * process: SQLite store, queue file, a SoftHSM2 token and an internal-CA certificate. A batch of 20
 * submissions (16 to the token's route, 4 to `internal`) is interrupted: once a few are done the service
 * gets SIGTERM — it finishes the jobs in flight and exits 0 while the CLI keeps submitting into the queue
 * file — and a new service process takes over. Everything completes exactly once: one signature per output
 * (engine's listSignatures, pdfsig valid and trusted), one sign log entry per request, an intact chain.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifySignLog } from '../../shared/audit/verify-sign-log.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource } from '../../shared/pdf/pdf-source.js';
import { listSignatures } from '../../shared/pdf/signature-fields.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type CliResult, runCli } from '../support/cli.js';
import { runTool } from '../support/run-tool.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, certificateId, metricValue, settledMetrics, signLogOf } from './pipeline-fixture.js';

const BATCH = 20;
const INTERNAL_EVERY = 5;

/** Runs `tasks` at most `limit` at a time, in order of start. */
async function inChunks<T>(items: readonly T[], limit: number, task: (item: T, i: number) => Promise<CliResult>) {
  const results: CliResult[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i]!, i);
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

describe('pipeline end to end: embedded mode, `npm start` process, restart in the middle of a batch', function () {
  this.timeout(120_000);
  let dir: string;
  let token: SoftHsmToken;
  let store: Store;
  let env: NodeJS.ProcessEnv;
  let service: ServiceProcess | undefined;
  let tokenCertId: string;
  let internalCertId: string;
  let internalNssDir: string;
  let masterKey: MasterKey;

  async function cli(args: string[]): Promise<CliResult> {
    const r = await runCli(args, env);
    assert.equal(r.code, 0, `signservice ${args.join(' ')}: ${r.stderr}`);
    return r;
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-pipeline-embedded-'));
    const label = `Emb${crypto.randomBytes(3).toString('hex')}`;
    token = await createSoftHsmToken({
      label,
      pin: '135790',
      identities: [{ id: 'b2', keyType: 'ecP256', cn: 'Ivan Token Signer' }],
    });
    const pinFile = path.join(dir, 'token.pin');
    fs.writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
    const keyBytes = generateMasterKeyBytes();
    const dataDir = path.join(dir, 'data');
    env = {
      SIGNSERVICE_DATA_DIR: dataDir,
      AMQP_URL: '',
      MONGO_URL: '',
      SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
      SIGNSERVICE_TOKENS: JSON.stringify([{ label, module: token.modulePath, pinFile }]),
      SOFTHSM2_CONF: token.conf,
      // One job at a time, so the batch is still running when the restart comes.
      WORKER_PREFETCH: '1',
      LOG_LEVEL: 'info',
    };
    await cli(['ca', 'init', '--cn', 'Pipeline Test CA', '--key-type', 'ec-p256']);
    const issued = await cli([
      'ca',
      'issue',
      '--cn',
      'Olga Internal',
      '--org',
      'ACME',
      '--email',
      'olga@example.org',
      '--key-type',
      'ec-p256',
      '--json',
    ]);
    internalCertId = (JSON.parse(issued.stdout) as { id: string }).id;
    await cli(['ca', 'export-root', '-o', path.join(dir, 'root')]);
    internalNssDir = path.join(dir, 'nss-internal');
    fs.mkdirSync(internalNssDir);
    for (const args of [
      ['-N', '-d', `sql:${internalNssDir}`, '--empty-password'],
      [
        '-A',
        '-d',
        `sql:${internalNssDir}`,
        '-n',
        'Internal Root',
        '-t',
        'CT,C,C',
        '-i',
        path.join(dir, 'root', 'root.pem'),
      ],
    ]) {
      const r = await runTool('certutil', args);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    masterKey = MasterKey.fromBytes(keyBytes);
    store = await openEmbeddedStore(path.join(dataDir, 'signservice.sqlite'), storeKeysFor(masterKey));
    tokenCertId = certificateId(token.identities[0]!.certDer);
    await addSigner(store, masterKey, { login: 'ivan', certId: tokenCertId, otpDisabled: true });
    await addSigner(store, masterKey, { login: 'olga', certId: internalCertId, otpDisabled: true });
  });

  after(async () => {
    if (service) await service.stop('SIGKILL').catch(() => undefined);
    await store?.close();
    await token?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts with a banner naming the URLs and the data directory, and is ready', async () => {
    service = await startServiceProcess({ entry: 'activity', port: await freePort(), env });
    const ready = (await service.waitReady()) as { checks: { queue: { kind: string }; tokens: { usable: boolean }[] } };
    assert.equal(ready.checks.queue.kind, 'embedded');
    assert.deepEqual(
      ready.checks.tokens.map((t) => t.usable),
      [true],
    );
    const banner = service.output();
    assert.match(banner, /SignService is running \(embedded mode; this process serves the web app and signs\)/);
    assert.ok(banner.includes(`Data:      ${env.SIGNSERVICE_DATA_DIR}`), banner);
    assert.ok(banner.includes(`${service.url}/health`), banner);
    assert.match(banner, new RegExp(`Tokens:\\s+${token.label}`));
    const health = await service.get('/health');
    assert.equal(health.status, 200);
    assert.equal((JSON.parse(health.body) as { role: string }).role, 'activity+worker');
  });

  it(`a batch of ${BATCH}, restarted in the middle: everything completes exactly once`, async () => {
    const pdfs = await writePdfs(path.join(dir, 'batch'), BATCH, 'emb');
    const internal = (i: number) => i % INTERNAL_EVERY === INTERNAL_EVERY - 1;
    const began = Date.now();
    const submitting = inChunks(pdfs, 4, (pdf, i) =>
      runCli(
        internal(i)
          ? ['request', 'submit', pdf, '--account', 'olga', '--cert', internalCertId, '--position', 'top-left']
          : ['request', 'submit', pdf, '--account', 'ivan', '--cert', tokenCertId, '--page', 'first'],
        env,
      ),
    );
    const completed = async () => (await store.signRequests.list({ state: 'completed' }, 1000)).length;
    while ((await completed()) < 3) await sleep(50);
    const first = service!;
    const exit = await first.stop('SIGTERM', 30_000);
    assert.deepEqual(exit, { code: 0, signal: null }, first.output().slice(-3000));
    assert.match(first.output(), /shut down cleanly/);
    const atStop = await store.signRequests.list({}, 1000);
    const doneAtStop = atStop.filter((r) => r.state === 'completed').length;
    // Graceful: the jobs in flight were finished, none was left half-way.
    assert.deepEqual(
      atStop.filter((r) => r.state !== 'completed' && r.state !== 'approved').map((r) => [r.id, r.state]),
      [],
    );
    const submitted = await submitting;
    for (const r of submitted) assert.equal(r.code, 0, r.stderr);
    assert.ok(doneAtStop < BATCH, `the restart came in the middle (${doneAtStop} of ${BATCH} done)`);

    service = await startServiceProcess({ entry: 'activity', port: await freePort(), env });
    const deadline = Date.now() + 60_000;
    while ((await completed()) < BATCH && Date.now() < deadline) await sleep(100);
    const seconds = (Date.now() - began) / 1000;
    const ids = submitted.map((r) => r.stdout.trim());
    const requests = await Promise.all(ids.map((id) => store.signRequests.get(id)));
    assert.deepEqual(
      requests.map((r) => r?.state),
      ids.map(() => 'completed'),
      service.output().slice(-3000),
    );
    await assertExactlyOnce(requests as SignRequest[], pdfs, internal);
    const completedJobs = 'signservice_job_outcomes_total{result="completed"}';
    const metrics = await settledMetrics(
      async () => (await service!.get('/metrics')).body,
      completedJobs,
      BATCH - doneAtStop,
    );
    const second = metricValue(metrics, completedJobs) ?? 0;
    assert.equal(second, BATCH - doneAtStop, 'the second process completed exactly the rest');
    console.log(
      `      ${BATCH} requests (restart after ${doneAtStop} completed), all done in ${seconds.toFixed(1)} s ` +
        `including the restart`,
    );
  });

  /** One signature per output, verified; one sign log entry per request; nothing else signed. */
  async function assertExactlyOnce(requests: SignRequest[], pdfs: string[], internal: (i: number) => boolean) {
    for (const [i, pdf] of pdfs.entries()) {
      const out = pdf.replace(/\.pdf$/, '-signed.pdf');
      const bytes = fs.readFileSync(out);
      assert.equal(listSignatures(PdfDocument.open(new BufferSource(bytes))).length, 1, out);
      assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), requests[i]!.signedSha256);
      assertAllValidAndTrusted(await pdfsig(out, { nssDir: internal(i) ? internalNssDir : token.nssDir }), 1);
      assert.equal(requests[i]!.route, internal(i) ? 'internal' : `token:${token.label}`);
    }
    const report = await verifySignLog(store, masterKey);
    assert.equal(report.ok, true, `the sign log is intact: ${JSON.stringify(report.problem)}`);
    const log = await signLogOf(store);
    const signed = log.filter((e) => e.action === 'signed' || e.action === 'signed_without_otp');
    assert.equal(signed.length, BATCH, 'one signature entry per request, none twice');
    assert.deepEqual(new Set(signed.map((e) => e.requestId)), new Set(requests.map((r) => r.id)));
    assert.ok(signed.every((e) => e.action === 'signed_without_otp' && e.otp === 'disabled'));
    assert.equal(log.filter((e) => e.action === 'failed').length, 0);
  }

  it('SIGTERM on the idle service: exit 0 within a second or two, with a last sign log checkpoint of the head', async () => {
    await cli(['account', 'add', 'late', '--email', 'late@example.org']);
    const began = Date.now();
    const exit = await service!.stop('SIGTERM', 10_000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - began < 5_000, `took ${Date.now() - began} ms`);
    service = undefined;
    const report = await verifySignLog(store, masterKey);
    assert.equal(report.ok, true, JSON.stringify(report.problem));
    assert.equal(report.lastCheckpoint?.seq, report.head?.seq, 'the entry appended last is checkpointed at shutdown');
    assert.equal(report.afterLastCheckpoint, 0);
  });

  it('a worker whose PIN is wrong stays alive but not ready, and says why (/ready, /metrics)', async () => {
    const badPin = path.join(dir, 'bad.pin');
    fs.writeFileSync(badPin, '864209\n', { mode: 0o600 });
    const tokens = JSON.stringify([{ label: token.label, module: token.modulePath, pinFile: badPin }]);
    service = await startServiceProcess({
      entry: 'worker',
      port: await freePort(),
      env: { ...env, SIGNSERVICE_TOKENS: tokens },
    });
    assert.equal((await service.get('/health')).status, 200);
    const ready = await service.get('/ready');
    assert.equal(ready.status, 503);
    const report = JSON.parse(ready.body) as {
      ready: boolean;
      checks: { tokens: { usable: boolean; problem?: string }[] };
    };
    assert.equal(report.ready, false);
    assert.equal(report.checks.tokens[0]?.usable, false);
    assert.match(report.checks.tokens[0]?.problem ?? '', /PIN/);
    assert.equal(ready.body.includes('864209'), false, 'the PIN is never shown');
    const metrics = (await service.get('/metrics')).body;
    assert.equal(metricValue(metrics, `signservice_token_present{token="${token.label}"}`), 1);
    assert.equal(metricValue(metrics, `signservice_token_usable{token="${token.label}"}`), 0);
    assert.equal(service.output().includes('864209'), false, 'nor logged');
    assert.deepEqual(await service.stop('SIGTERM', 10_000), { code: 0, signal: null });
    service = undefined;
  });
});
