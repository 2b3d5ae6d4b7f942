/**
 * The worker runtime and an unusable token: its jobs wait in the (real, embedded) queue instead of failing
 * in a loop, /ready says not ready and names the problem, the gauges say 0; when the token is usable again
 * its queue is resumed and the waiting job completes. `internal` keeps flowing meanwhile. The token here is
 * a stand-in whose usability the test switches (a real token's health comes from pkcs11-token.ts).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { TokenHealth } from '../../shared/crypto/pkcs11/token-health.js';
import { loadPemKey } from '../../shared/crypto/software-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { checkReadiness } from '../../shared/health/readiness.js';
import { createServiceMetrics } from '../../shared/health/service-metrics.js';
import { silentLogger } from '../../shared/logger.js';
import { EmbeddedJobQueue } from '../../shared/queue/embedded/embedded-queue.js';
import type { ServedToken, ServedTokens } from '../../shared/signing/served-tokens.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type RunningWorker, startWorker } from '../../worker/start-worker.js';
import { createTestPki } from '../support/test-pki.js';
import { makePdf } from './make-pdfs.js';
import { metricValue } from './pipeline-fixture.js';
import { softwareKeySource } from './software-key-source.js';

/** A token stand-in: present and logged in only while `usable` is true. */
function switchableToken(label: string, state: { usable: boolean; checks: number }): ServedTokens {
  const health = (): TokenHealth => ({
    present: state.usable,
    loggedIn: state.usable,
    pinLow: false,
    pinLocked: false,
    pinFinalTry: false,
    label,
    serial: '0001',
    certificates: [],
  });
  const token: ServedToken = {
    label,
    route: `token:${label}`,
    modulePath: '/dev/null',
    open: async () => assert.fail('the test key source never opens the token'),
    health: async () => health(),
    async check() {
      state.checks++;
      return state.usable
        ? { usable: true, health: health() }
        : { usable: false, health: health(), problem: `token "${label}" is not present; plug it in` };
    },
    listing: async () => undefined,
  };
  return { tokens: [token], byRoute: (r) => (r === token.route ? token : undefined), close: async () => {} };
}

describe('worker runtime: a token that is not usable pauses its queue', function () {
  this.timeout(60_000);
  let dir: string;
  let store: Store;
  let queue: EmbeddedJobQueue;
  let worker: RunningWorker | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-token-pause-'));
    store = await openEmbeddedStore(
      path.join(dir, 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBytes(generateMasterKeyBytes())),
    );
    queue = new EmbeddedJobQueue({ file: path.join(dir, 'queue.sqlite'), pollMs: 20 });
  });

  after(async () => {
    await worker?.close();
    await queue?.close();
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('jobs wait while the token is unusable, the process says so, and they complete once it is back', async () => {
    const pki = await createTestPki();
    const id = pki.identities.ecP256;
    const key = loadPemKey(fs.readFileSync(id.keyPath), fs.readFileSync(id.certPath), fs.readFileSync(id.chainPath));
    const { source, entry } = softwareKeySource(key, 'Switchable');
    const account = await createAccountService({ store }).add({ login: 'mary', otpDisabled: true });
    await store.grants.grant({ accountId: account.id, certId: entry.id, isDefault: true, grantedAt: new Date() });
    const state = { usable: false, checks: 0 };
    const tokens = switchableToken('Switchable', state);
    const metrics = createServiceMetrics({
      queue,
      routes: () => worker?.routes ?? [],
      tokens: () => worker?.tokenReports() ?? [],
    });
    worker = await startWorker({
      config: {
        dataDir: dir,
        masterKey: { source: 'env', value: crypto.randomBytes(32).toString('base64') },
        defaultLanguage: 'en',
        worker: {
          tokens: [],
          port: 0,
          prefetch: 2,
          maxDocumentBytes: 10 * 1024 * 1024,
          shutdownTimeoutMs: 10_000,
          byteBudget: 256 * 1024 * 1024,
          recoverySweepMs: 60_000,
        },
      },
      store,
      queue,
      tokens,
      logger: silentLogger,
      metrics,
      keys: source,
      tokenCheckIntervalMs: 50,
    });
    assert.deepEqual(worker.consuming(), ['internal'], 'the token route is not consumed');

    const inputPath = path.join(dir, 'in.pdf');
    fs.writeFileSync(inputPath, await makePdf('Waiting for the token', 1));
    const now = new Date();
    const request: SignRequest = {
      id: crypto.randomUUID(),
      state: 'approved',
      version: 1,
      accountId: account.id,
      certId: entry.id,
      route: 'token:Switchable',
      document: { kind: 'file', inputPath, outputPath: path.join(dir, 'out.pdf') },
      placement: { page: 'last', position: 'bottom-center', visible: true },
      otpRequired: false,
      steps: { authorize: { at: now, data: { otp: 'disabled' } } },
      createdAt: now,
      updatedAt: now,
    };
    await store.signRequests.create(request);
    await queue.publish(request.route, {
      type: 'sign-request',
      version: 1,
      requestId: request.id,
      route: request.route,
    });

    await sleep(600);
    for (const until = Date.now() + 10_000; state.checks < 5 && Date.now() < until; ) await sleep(50);
    assert.equal((await store.signRequests.get(request.id))?.state, 'approved', 'nothing was attempted');
    assert.equal((await queue.depth(request.route)).ready, 1, 'the job waits in the queue');
    assert.ok(state.checks >= 5, `the token is checked periodically (${state.checks} checks)`);
    const report = await checkReadiness({ store, queue, probeRoute: 'internal', tokens: () => worker!.tokenReports() });
    assert.equal(report.ready, false);
    assert.deepEqual(report.checks.tokens, [
      {
        label: 'Switchable',
        present: false,
        usable: false,
        pinLocked: false,
        problem: 'token "Switchable" is not present; plug it in',
      },
    ]);
    const before = await metrics.text();
    assert.equal(metricValue(before, 'signservice_token_usable{token="Switchable"}'), 0);
    assert.equal(metricValue(before, 'signservice_queue_depth{route="token:Switchable",state="ready"}'), 1);

    state.usable = true;
    const deadline = Date.now() + 10_000;
    while ((await store.signRequests.get(request.id))?.state !== 'completed' && Date.now() < deadline) await sleep(50);
    assert.equal((await store.signRequests.get(request.id))?.state, 'completed');
    assert.deepEqual(worker.consuming().sort(), ['internal', 'token:Switchable']);
    assert.equal(
      (await checkReadiness({ store, queue, probeRoute: 'internal', tokens: () => worker!.tokenReports() })).ready,
      true,
    );
    // The job's outcome is counted once the job is settled with the queue, just after the request's last write.
    let after = await metrics.text();
    for (const until = Date.now() + 10_000; Date.now() < until; after = await metrics.text()) {
      if (metricValue(after, 'signservice_job_outcomes_total{result="completed"}') !== undefined) break;
      await sleep(50);
    }
    assert.equal(metricValue(after, 'signservice_token_usable{token="Switchable"}'), 1);
    assert.equal(metricValue(after, 'signservice_job_outcomes_total{result="completed"}'), 1);
    assert.ok((metricValue(after, 'signservice_step_duration_seconds_count{step="sign",outcome="done"}') ?? 0) >= 1);

    state.usable = false;
    const paused = Date.now() + 5_000;
    while (worker.consuming().length > 1 && Date.now() < paused) await sleep(20);
    assert.deepEqual(worker.consuming(), ['internal'], 'paused again when the token went away');
  });
});
