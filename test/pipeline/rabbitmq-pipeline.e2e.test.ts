/**
 * End to end on the machine's RabbitMQ and a SoftHSM2 token: a worker child process
 * (`node dist/worker/main.js`) serves the token; five signers (enrolled authenticators) each submit a PDF
 * with `signservice request submit --otp CODE --wait`. All five complete, every output is a valid, trusted
 * PAdES signature for pdfsig, and the sign log holds exactly one 'signed' entry per request. A wrong code
 * is refused at once without creating or queueing anything. The worker reports through /ready and
 * /metrics and shuts down cleanly on SIGTERM. The run uses its own AMQP name prefix, deleted afterwards.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifySignLog } from '../../shared/audit/verify-sign-log.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { deleteByPrefix, RABBITMQ_URL, requireRabbitMq } from '../queue/support/rabbitmq.js';
import { runCli } from '../support/cli.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { writePdfs } from './make-pdfs.js';
import {
  addSigner,
  certificateId,
  metricValue,
  settledMetrics,
  signLogOf,
  type TestSigner,
} from './pipeline-fixture.js';

const PREFIX = `signservice-pipeline-${crypto.randomBytes(4).toString('hex')}`;

describe('pipeline end to end: RabbitMQ, SoftHSM2 token, worker process, CLI', function () {
  this.timeout(120_000);
  let dir: string;
  let token: SoftHsmToken;
  let store: Store;
  let masterKey: MasterKey;
  let worker: ServiceProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let signers: TestSigner[];
  let certId: string;

  before(async () => {
    await requireRabbitMq();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-pipeline-amqp-'));
    const label = `Pipe${crypto.randomBytes(3).toString('hex')}`;
    token = await createSoftHsmToken({
      label,
      pin: '246810',
      identities: [{ id: 'a1', keyType: 'rsa2048', cn: 'Mary Token Signer' }],
    });
    const pinFile = path.join(dir, 'token.pin');
    fs.writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
    const keyBytes = generateMasterKeyBytes();
    const dataDir = path.join(dir, 'data');
    env = {
      SIGNSERVICE_DATA_DIR: dataDir,
      AMQP_URL: RABBITMQ_URL,
      AMQP_PREFIX: PREFIX,
      MONGO_URL: '',
      SIGNSERVICE_MASTER_KEY: keyBytes.toString('base64'),
      SIGNSERVICE_TOKENS: JSON.stringify([{ label, module: token.modulePath, pinFile }]),
      SOFTHSM2_CONF: token.conf,
      LOG_LEVEL: 'info',
    };
    store = await openEmbeddedStore(
      path.join(dataDir, 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBytes(keyBytes)),
    );
    certId = certificateId(token.identities[0]!.certDer);
    masterKey = MasterKey.fromBytes(keyBytes);
    signers = [];
    for (const login of ['mary', 'ivan', 'olga', 'petr', 'anna', 'sasha']) {
      signers.push(await addSigner(store, masterKey, { login, certId }));
    }
    worker = await startServiceProcess({ entry: 'worker', port: await freePort(), env });
  });

  after(async () => {
    if (worker) await worker.stop('SIGKILL').catch(() => undefined);
    await store?.close();
    await deleteByPrefix(PREFIX).catch(() => undefined);
    await token?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the worker is ready: queue reachable, its token present and logged in', async () => {
    const ready = (await worker!.waitReady()) as { checks: { queue: { kind: string }; tokens: { usable: boolean }[] } };
    assert.equal(ready.checks.queue.kind, 'amqp');
    assert.deepEqual(
      ready.checks.tokens.map((t) => t.usable),
      [true],
    );
  });

  it('a wrong one-time code is refused at once: exit 77, nothing created, nothing queued', async () => {
    const [pdf] = await writePdfs(path.join(dir, 'wrong'), 1, 'wrong');
    const mary = signers[0]!;
    const began = Date.now();
    const r = await runCli(
      ['request', 'submit', pdf!, '--account', 'mary', '--cert', certId, '--otp', mary.wrongCode()],
      env,
    );
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /Wrong one-time code/);
    assert.ok(Date.now() - began < 10_000, 'the answer came at once');
    assert.deepEqual(await store.signRequests.list(), []);
    assert.equal(fs.existsSync(pdf!.replace(/\.pdf$/, '-signed.pdf')), false);
    const failures = (await signLogOf(store)).filter((e) => e.action === 'otp_failed');
    assert.equal(failures.length, 1);
  });

  it('five signers submit a PDF each: all complete, valid and trusted, one signed entry per request', async () => {
    const pdfs = await writePdfs(path.join(dir, 'batch'), 5, 'amqp');
    const began = Date.now();
    const runs = await Promise.all(
      pdfs.map((pdf, i) => {
        const signer = signers[i]!;
        const args = ['request', 'submit', pdf, '--account', signer.account.login, '--cert', certId.slice(0, 16)];
        return runCli([...args, '--otp', signer.nextCode()!, '--reason', `Approved ${i + 1}`, '--wait', '60'], env);
      }),
    );
    const seconds = (Date.now() - began) / 1000;
    for (const r of runs) assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${worker!.output().slice(-3000)}`);
    const ids = runs.map((r) => r.stdout.trim().split('\n')[0]!);
    assert.equal(new Set(ids).size, 5);
    const latencies: number[] = [];
    for (const [i, pdf] of pdfs.entries()) {
      const out = pdf.replace(/\.pdf$/, '-signed.pdf');
      assertAllValidAndTrusted(await pdfsig(out, { nssDir: token.nssDir }), 1);
      const request = (await store.signRequests.get(ids[i]!))!;
      assert.equal(request.state, 'completed');
      assert.equal(request.route, `token:${token.label}`);
      assert.equal(request.steps.authorize?.data.otp, 'used');
      latencies.push(request.updatedAt.getTime() - request.createdAt.getTime());
    }
    const report = await verifySignLog(store, masterKey);
    assert.equal(report.ok, true, `the sign log is intact: ${JSON.stringify(report.problem)}`);
    const log = await signLogOf(store);
    for (const id of ids) {
      const entries = log.filter((e) => e.requestId === id && e.action.startsWith('signed'));
      assert.deepEqual(
        entries.map((e) => [e.action, e.otp, e.certificate?.id]),
        [['signed', 'used', certId]],
      );
    }
    const completedJobs = 'signservice_job_outcomes_total{result="completed"}';
    const metrics = await settledMetrics(async () => (await worker!.get('/metrics')).body, completedJobs, 5);
    assert.equal(metricValue(metrics, completedJobs), 5);
    assert.equal(metricValue(metrics, `signservice_token_usable{token="${token.label}"}`), 1);
    assert.equal(metricValue(metrics, `signservice_queue_depth{route="token:${token.label}",state="ready"}`), 0);
    assert.equal(metricValue(metrics, 'signservice_queue_up'), 1);
    latencies.sort((a, b) => a - b);
    console.log(
      `      5 CLI submissions at once, to completion: ${seconds.toFixed(1)} s; request created → completed: ` +
        `median ${latencies[2]} ms, max ${latencies[4]} ms`,
    );
  });

  it('one submission alone: created → completed latency (figure)', async () => {
    const [pdf] = await writePdfs(path.join(dir, 'single'), 1, 'single');
    const sasha = signers[5]!;
    const began = Date.now();
    const r = await runCli(
      ['request', 'submit', pdf!, '--account', 'sasha', '--cert', certId, '--otp', sasha.nextCode()!, '--wait', '30'],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const request = (await store.signRequests.get(r.stdout.trim()))!;
    assert.equal(request.state, 'completed');
    const latency = request.updatedAt.getTime() - request.createdAt.getTime();
    const sign = request.steps.sign!.at.getTime() - request.steps.fetch!.at.getTime();
    console.log(
      `      one request: CLI run ${Date.now() - began} ms; created → completed ${latency} ms (fetch → signed ${sign} ms)`,
    );
  });

  it('SIGTERM: the worker finishes, closes its connection and exits 0', async () => {
    const exit = await worker!.stop('SIGTERM', 20_000);
    assert.deepEqual(exit, { code: 0, signal: null }, worker!.output().slice(-2000));
    assert.match(worker!.output(), /shut down cleanly/);
    worker = undefined;
  });
});
