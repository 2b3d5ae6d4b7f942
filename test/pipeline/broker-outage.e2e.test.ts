/**
 * Broker test: two worker processes sharing a SoftHSM2 token work through 100 requests submitted at once.
 * While they are in flight, RabbitMQ drops every connection (`rabbitmqctl close_all_connections`); a bit
 * later the broker application is stopped (`stop_app`), 20 more requests are submitted while it is down
 * (their publishes wait for it), and it is started again (`start_app`). Workers and the submitting process
 * reconnect by themselves; handlers that finished while their channel was gone have their jobs delivered
 * again, which the request's recorded steps turn into no-ops. Nothing is lost and nothing happens twice:
 * one signature per output, one 'signed' sign log entry per request, nothing parked.
 *
 * It disturbs anyone else using the machine's RabbitMQ for a few seconds; `after` makes sure the broker
 * runs again even when the test fails half-way.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tokenRoute } from '../../shared/signing/sign-route.js';
import { ensureBrokerRunning, rabbitmqctl } from '../queue/support/rabbitmq.js';
import { freePort, type ServiceProcess, startServiceProcess } from '../support/service-process.js';
import type { SoftHsmToken } from '../support/softhsm.js';
import { assertExactlyOnce, countCompleted, waitForFinal } from './exactly-once.js';
import { inProcessSubmitter, type Submitted } from './in-process-submitter.js';
import { writePdfs } from './make-pdfs.js';
import { addSigner, certificateId, metricValue, type TestSigner } from './pipeline-fixture.js';
import { openPipelineRun, type PipelineRun } from './pipeline-run.js';

const FIRST = 100;
const DURING_OUTAGE = 20;
const TOTAL = FIRST + DURING_OUTAGE;

/** Waits until `check()` holds, polling; fails with `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('broker outage under load (RabbitMQ): connections dropped, then the broker restarted', function () {
  this.timeout(300_000);
  let run: PipelineRun;
  let token: SoftHsmToken;
  const workers: ServiceProcess[] = [];
  let signers: TestSigner[];
  let certId: string;
  let pdfs: string[];

  before(async () => {
    run = await openPipelineRun('amqp', 'broker');
    token = await run.addToken(`Brk${crypto.randomBytes(3).toString('hex')}`, [
      { id: 'd1', keyType: 'ecP256', cn: 'Broker Test Signer' },
    ]);
    certId = certificateId(token.identities[0]!.certDer);
    signers = [];
    for (let i = 0; i < TOTAL; i++) signers.push(await addSigner(run.store, run.masterKey, { login: `b${i}`, certId }));
    pdfs = await writePdfs(path.join(run.dir, 'in'), TOTAL, 'broker');
    // Prefetch 2 each: most of the batch waits in the queue, a few jobs are in every worker's hands.
    const env = run.workerEnv(token, { WORKER_PREFETCH: '2' });
    for (let i = 0; i < 2; i++)
      workers.push(await startServiceProcess({ entry: 'worker', port: await freePort(), env }));
    for (const w of workers) await w.waitReady();
  });

  after(async () => {
    await ensureBrokerRunning().catch((error: unknown) => console.error(`RabbitMQ NOT restarted: ${error}`));
    for (const w of workers) await w.stop('SIGKILL').catch(() => undefined);
    await run?.close();
  });

  it(`${TOTAL} requests through a dropped connection and a broker restart: all exactly once`, async () => {
    const submit = inProcessSubmitter(run);
    const submitOne = (i: number): Promise<Submitted> =>
      submit({
        signer: signers[i]!,
        certId,
        inputPath: pdfs[i]!,
        outputPath: pdfs[i]!.replace(/\.pdf$/, '-signed.pdf'),
      });
    const began = Date.now();
    const first = await Promise.all(Array.from({ length: FIRST }, (_, i) => submitOne(i)));
    const ids = first.map((s) => s.request.id);
    const output = () => workers.map((w) => w.output()).join('\n');

    await until('the first completion', async () => (await countCompleted(run.store, ids)) >= 1, 30_000);
    const openAtDrop = FIRST - (await countCompleted(run.store, ids));
    await rabbitmqctl('close_all_connections', 'SignService broker-outage test');
    await until('both workers to see the connection drop', () => count(output(), 'amqp: connection lost') >= 2, 15_000);

    await until('40 completions', async () => (await countCompleted(run.store, ids)) >= 40, 60_000);
    const openAtStop = FIRST - (await countCompleted(run.store, ids));
    const stoppedAt = Date.now();
    await rabbitmqctl('stop_app');
    // Submitted while the broker is down: each publish waits (up to 30 s) for a connection and a confirm.
    const late = Promise.all(Array.from({ length: DURING_OUTAGE }, (_, i) => submitOne(FIRST + i)));
    await until('both workers to lose the broker', () => count(output(), 'amqp: connection lost') >= 4, 15_000);
    await rabbitmqctl('start_app');
    await rabbitmqctl('await_startup');
    const outageMs = Date.now() - stoppedAt;
    for (const s of await late) ids.push(s.request.id);

    const requests = await waitForFinal(run.store, ids, { timeoutMs: 120_000, context: () => output().slice(-3000) });
    const seconds = (Date.now() - began) / 1000;
    await assertExactlyOnce(run.store, requests, {
      masterKey: run.masterKey,
      action: 'signed',
      pdfsig: { nssDir: token.nssDir, every: 12 },
    });
    assert.deepEqual(await run.queue.listParked(tokenRoute(token.label)), [], 'nothing parked');
    assert.equal((await run.queue.depth(tokenRoute(token.label))).ready, 0);
    // Each worker connected three times: at start, after the dropped connection, after the restart.
    for (const w of workers) assert.ok(count(w.output(), 'amqp: connected') >= 3, w.output().slice(-3000));
    // Every request was completed by exactly one job run; the other deliveries found it final already. A job's
    // outcome is counted when its handler returns, just after the request's last write: read until it settles.
    const readOutcomes = async () => {
      const outcomes = { completed: 0, 'already-final': 0 };
      for (const w of workers) {
        const metrics = (await w.get('/metrics')).body;
        for (const result of ['completed', 'already-final'] as const) {
          outcomes[result] += metricValue(metrics, `signservice_job_outcomes_total{result="${result}"}`) ?? 0;
        }
      }
      return outcomes;
    };
    let outcomes = await readOutcomes();
    for (const settled = Date.now() + 10_000; outcomes.completed < TOTAL && Date.now() < settled; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      outcomes = await readOutcomes();
    }
    assert.equal(outcomes.completed, TOTAL);
    console.log(
      `      ${TOTAL} requests; connections dropped with ${openAtDrop} open, broker stopped with ${openAtStop} open ` +
        `and down ${(outageMs / 1000).toFixed(1)} s while ${DURING_OUTAGE} more were submitted; all done once in ` +
        `${seconds.toFixed(1)} s; ${outcomes['already-final']} deliveries found their request done already`,
    );
  });
});
