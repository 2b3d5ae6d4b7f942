/**
 * Routing on RabbitMQ: two worker processes, each holding a different SoftHSM2 token (TokenA and TokenB,
 * each with two certificates of its own; SIGNSERVICE_TOKENS differs per worker). Requests for all four
 * certificates are submitted interleaved. Each one is signed by the worker that holds its certificate's
 * token — shown by the workers' own logs ('document signed' lines carry the request id) and by the
 * certificate in the signature — and no job is parked. While TokenB's worker is stopped its jobs wait in
 * `token:TokenB` (TokenA's worker never takes them) and they flow when it is back.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { INTERNAL_ROUTE, tokenRoute } from '../../shared/signing/sign-route.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import type { SoftHsmToken } from '../support/softhsm.js';
import { assertExactlyOnce, signedInLog, waitForFinal } from './exactly-once.js';
import { inProcessSubmitter, type Submit } from './in-process-submitter.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, certificateId } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun } from './pipeline-run.js';

const PER_CERT = 4;

describe('routing (RabbitMQ): two workers with different tokens, each request signed where its key is', function () {
  this.timeout(180_000);
  let run: PipelineRun;
  let tokens: { a: SoftHsmToken; b: SoftHsmToken };
  const workers: { a?: ServiceProcess; b?: ServiceProcess } = {};
  /** Every request of the run, and the token its certificate is on. */
  const submitted: { request: SignRequest; token: 'a' | 'b' }[] = [];
  let submit: Submit;
  let pdfCount = 0;

  const startWorker = async (which: 'a' | 'b') => {
    const env = run.workerEnv(tokens[which]);
    const worker = await startServiceProcess({ entry: 'worker', port: await freePort(), env });
    await worker.waitReady();
    return worker;
  };

  /** Submits `n` requests for each certificate of `which` tokens, interleaved; returns them. */
  const submitFor = async (which: ('a' | 'b')[], n: number) => {
    const made: { request: SignRequest; token: 'a' | 'b' }[] = [];
    for (let i = 0; i < n; i++) {
      for (const t of which) {
        for (const identity of tokens[t].identities) {
          const certId = certificateId(identity.certDer);
          const login = `${t}${identity.id}-${pdfCount}`;
          const signer = await addSigner(run.store, run.masterKey, { login, certId });
          const [pdf] = await writePdfs(path.join(run.dir, 'in'), 1, `route-${pdfCount++}`);
          const outputPath = pdf!.replace(/\.pdf$/, '-signed.pdf');
          const { request } = await submit({ signer, certId, inputPath: pdf!, outputPath });
          made.push({ request, token: t });
        }
      }
    }
    submitted.push(...made);
    return made;
  };

  before(async () => {
    run = await openPipelineRun('amqp', 'routing');
    const suffix = crypto.randomBytes(3).toString('hex');
    tokens = {
      a: await run.addToken(`TokenA${suffix}`, [
        { id: 'a1', keyType: 'rsa2048', cn: 'Anna on TokenA' },
        { id: 'a2', keyType: 'ecP256', cn: 'Andrei on TokenA' },
      ]),
      b: await run.addToken(`TokenB${suffix}`, [
        { id: 'b1', keyType: 'ecP256', cn: 'Boris on TokenB' },
        { id: 'b2', keyType: 'rsa2048', cn: 'Bella on TokenB' },
      ]),
    };
    workers.a = await startWorker('a');
    workers.b = await startWorker('b');
    submit = inProcessSubmitter(run);
  });

  after(async () => {
    for (const w of [workers.a, workers.b]) if (w) await w.stop('SIGKILL').catch(() => undefined);
    await run?.close();
  });

  const nssDirOf = (request: SignRequest) =>
    request.route === tokenRoute(tokens.a.label) ? tokens.a.nssDir : tokens.b.nssDir;

  it('each request is signed by the worker holding its token; nothing is parked', async () => {
    const made = await submitFor(['a', 'b'], PER_CERT);
    const requests = await waitForFinal(
      run.store,
      made.map((m) => m.request.id),
      { timeoutMs: 60_000, context: () => `${workers.a?.output().slice(-1500)}\n${workers.b?.output().slice(-1500)}` },
    );
    await assertExactlyOnce(run.store, requests, {
      masterKey: run.masterKey,
      action: 'signed',
      pdfsig: { nssDir: nssDirOf, every: 1 },
    });
    const signedBy = { a: new Set(signedInLog(workers.a!.output())), b: new Set(signedInLog(workers.b!.output())) };
    for (const [i, { request, token }] of made.entries()) {
      const final = requests[i]!;
      assert.equal(final.route, tokenRoute(tokens[token].label));
      assert.ok(signedBy[token].has(request.id), `${request.id} (${final.route}) signed by worker ${token}`);
      const other = token === 'a' ? 'b' : 'a';
      assert.ok(!signedBy[other].has(request.id), `${request.id} not signed by worker ${other}`);
      // The certificate in the signature is the one on that worker's token.
      const certIds = tokens[token].identities.map((id) => certificateId(id.certDer));
      assert.ok(certIds.includes(String(final.steps.sign?.data.certId)));
    }
    assert.equal(signedBy.a.size, 2 * PER_CERT);
    assert.equal(signedBy.b.size, 2 * PER_CERT);
    for (const route of [tokenRoute(tokens.a.label), tokenRoute(tokens.b.label), INTERNAL_ROUTE]) {
      assert.deepEqual(await run.queue.listParked(route), [], `nothing parked on ${route}`);
    }
  });

  it("TokenB's jobs wait while its worker is down (TokenA's worker never takes them) and flow when it is back", async () => {
    assert.deepEqual(await workers.b!.stop('SIGTERM'), { code: 0, signal: null });
    workers.b = undefined;
    const waitingB = await submitFor(['b'], 1);
    const meanwhileA = await submitFor(['a'], 1);
    await waitForFinal(
      run.store,
      meanwhileA.map((m) => m.request.id),
      { timeoutMs: 30_000, context: () => workers.a?.output().slice(-2000) ?? '' },
    );
    for (const { request } of waitingB) assert.equal((await run.store.signRequests.get(request.id))?.state, 'approved');
    assert.equal((await run.queue.depth(tokenRoute(tokens.b.label))).ready, waitingB.length);
    assert.ok(waitingB.every(({ request }) => !workers.a!.output().includes(request.id)));

    workers.b = await startWorker('b');
    await waitForFinal(
      run.store,
      waitingB.map((m) => m.request.id),
      { timeoutMs: 30_000, context: () => workers.b?.output().slice(-2000) ?? '' },
    );
    const signedByB = new Set(signedInLog(workers.b.output()));
    assert.ok(waitingB.every(({ request }) => signedByB.has(request.id)));
    const all = await waitForFinal(
      run.store,
      submitted.map((s) => s.request.id),
      { timeoutMs: 5_000 },
    );
    await assertExactlyOnce(run.store, all, {
      masterKey: run.masterKey,
      action: 'signed',
    });
    for (const route of [tokenRoute(tokens.a.label), tokenRoute(tokens.b.label)]) {
      assert.deepEqual(await run.queue.listParked(route), [], `nothing parked on ${route}`);
    }
  });
});
