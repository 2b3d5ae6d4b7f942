/**
 * Poison messages: jobs that no worker can ever handle, published straight to a token's route ahead of
 * real work — a body that is not JSON, a sign job of an unknown version, one that fails the schema, and a
 * well-formed one naming a request that does not exist. Each is parked at once with its reason
 * (`listParked`), never retried, and the valid requests published after them complete, exactly once:
 * the queue keeps flowing and the worker keeps running.
 *
 * Run on RabbitMQ (worker process, `npm run start:worker`) and on the embedded queue and store
 * (`npm start` with no servers), with the same assertions; there the control panel's API lists the same
 * parked jobs (the web app holds the process's queue).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { AmqpJobQueue } from '../../shared/queue/amqp/amqp-queue.js';
import type { ParkedJob } from '../../shared/queue/queue-port.js';
import { tokenRoute } from '../../shared/signing/sign-route.js';
import { waitFor } from '../queue/support/wait-for.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import type { SoftHsmToken } from '../support/softhsm.js';
import { assertExactlyOnce, waitForFinal } from './exactly-once.js';
import { inProcessSubmitter } from './in-process-submitter.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, certificateId } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun, type QueueKind } from './pipeline-run.js';

const VALID = 6;
/** An admin API token given in the environment (ADMIN_TOKEN), to read the panel's parked jobs. */
const ADMIN_TOKEN = crypto.randomBytes(24).toString('base64url');

/** The poison, by message id, with the reason each must be parked with. */
function poisonFor(route: string) {
  return [
    { messageId: 'poison-not-json', raw: '{"type":"sign-request", version: 1', reason: /message body is not JSON/ },
    {
      messageId: 'poison-version-2',
      body: { type: 'sign-request', version: 2, requestId: crypto.randomUUID(), route },
      reason: /unknown sign-job version 2/,
    },
    {
      messageId: 'poison-no-request-id',
      body: { type: 'sign-request', version: 1, route },
      reason: /invalid sign job: requestId/,
    },
    {
      messageId: 'poison-unknown-request',
      body: { type: 'sign-request', version: 1, requestId: 'no-such-request', route },
      reason: /No sign request with id no-such-request/,
    },
  ];
}

/** Puts bytes on the route as they are, bypassing `publish`'s JSON encoding. */
async function publishRaw(queue: PipelineRun['queue'], route: string, text: string, messageId: string) {
  if (queue instanceof AmqpJobQueue) await queue.publishRaw(route, Buffer.from(text), { messageId });
  else await queue.publishRaw(route, text, { messageId });
}

for (const kind of ['amqp', 'embedded'] as QueueKind[]) {
  const entry = kind === 'amqp' ? 'worker' : 'activity';
  describe(`poison messages (${kind}): parked with their reason, the queue keeps flowing`, function () {
    this.timeout(120_000);
    let run: PipelineRun;
    let token: SoftHsmToken;
    let service: ServiceProcess | undefined;

    before(async () => {
      run = await openPipelineRun(kind, 'poison');
      token = await run.addToken(`Psn${crypto.randomBytes(3).toString('hex')}`, [
        { id: 'e1', keyType: 'ecP256', cn: 'Poison Test Signer' },
      ]);
      service = await startServiceProcess({
        entry,
        port: await freePort(),
        env: run.workerEnv(token, { ADMIN_TOKEN }),
      });
      await service.waitReady();
    });

    after(async () => {
      if (service) await service.stop('SIGKILL').catch(() => undefined);
      await run?.close();
    });

    it('parks each poison message at once with its reason; the valid requests after them complete', async () => {
      const route = tokenRoute(token.label);
      const poison = poisonFor(route);
      for (const p of poison) {
        if (p.raw !== undefined) await publishRaw(run.queue, route, p.raw, p.messageId);
        else await run.queue.publish(route, p.body, { messageId: p.messageId });
      }
      const certId = certificateId(token.identities[0]!.certDer);
      const pdfs = await writePdfs(path.join(run.dir, 'in'), VALID, 'poison');
      const submit = inProcessSubmitter(run);
      const ids: string[] = [];
      for (const [i, pdf] of pdfs.entries()) {
        const signer = await addSigner(run.store, run.masterKey, { login: `p${i}`, certId });
        const outputPath = pdf.replace(/\.pdf$/, '-signed.pdf');
        ids.push((await submit({ signer, certId, inputPath: pdf, outputPath })).request.id);
      }
      const requests = await waitForFinal(run.store, ids, {
        timeoutMs: 60_000,
        context: () => service?.output().slice(-3000) ?? '',
      });
      await assertExactlyOnce(run.store, requests, {
        masterKey: run.masterKey,
        action: 'signed',
        pdfsig: { nssDir: token.nssDir, every: 3 },
      });

      // Depth first: listParked takes the parked messages and gives them back, which the broker counts again
      // only a moment later.
      await waitFor('the poison parked', async () => (await run.queue.depth(route)).parked === poison.length, 15_000);
      const depth = await run.queue.depth(route);
      assert.deepEqual([depth.ready, depth.delayed, depth.parked], [0, 0, poison.length]);
      const parked = new Map<string, ParkedJob>((await run.queue.listParked(route)).map((p) => [p.messageId, p]));
      assert.deepEqual([...parked.keys()].sort(), poison.map((p) => p.messageId).sort());
      for (const p of poison) {
        const job = parked.get(p.messageId)!;
        assert.match(job.reason, p.reason, `${p.messageId}: ${job.reason}`);
        assert.equal(job.attempts, 1, `${p.messageId} was parked on its first delivery, not retried`);
        assert.equal(job.route, route);
      }
      if (entry === 'activity') {
        const answer = await fetch(`${service!.url}/api/v1/requests/parked`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        assert.equal(answer.status, 200, 'the control panel lists the parked jobs');
        const listed = ((await answer.json()) as { parked: { messageId: string; reason: string }[] }).parked;
        assert.deepEqual(listed.map((p) => p.messageId).sort(), [...parked.keys()].sort());
        for (const p of listed) assert.equal(p.reason, parked.get(p.messageId)?.reason);
      }
      assert.equal((await service!.get('/health')).status, 200, 'the worker is still running');
      assert.equal(service!.child.exitCode, null);
    });
  });
}
