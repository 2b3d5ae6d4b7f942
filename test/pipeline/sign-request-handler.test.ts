/**
 * The sign-request handler on the real embedded store, the real PDF engine and a software key: run twice
 * on the same job, two workers at once, and a simulated crash right after each step's record was written
 * (the "worker" dies, a fresh one takes the redelivered job). Every time: one signature in the output
 * (counted with the engine's listSignatures and checked by pdfsig), one sign log entry, the delivered bytes
 * are the ones whose hash was recorded. Then the permanent failures (request failed, job acknowledged) and
 * the transient ones (retried, failed on the last attempt).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAccountService } from '../../shared/accounts/account-service.js';
import type { InventoryEntry } from '../../shared/crypto/certificate-inventory.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { createRevocationFetcher } from '../../shared/crypto/revocation/revocation-fetcher.js';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { loadPemKey } from '../../shared/crypto/software-key.js';
import type { Account } from '../../shared/domain/account.js';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { recordStep, type SignRequest, transition } from '../../shared/domain/sign-request.js';
import { AppError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource } from '../../shared/pdf/pdf-source.js';
import { listSignatures } from '../../shared/pdf/signature-fields.js';
import { verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { routeDocuments } from '../../worker/gateways/document-gateway.js';
import { fileDocumentGateway } from '../../worker/gateways/file-document-gateway.js';
import type { Notifier } from '../../worker/gateways/notifier.js';
import { noWorkflowCallback } from '../../worker/gateways/workflow-callback.js';
import type { PipelineDeps } from '../../worker/pipeline-context.js';
import { createSignRequestHandler } from '../../worker/sign-request-handler.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { startTestTsa } from '../support/tsa-server.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { makePdf } from './make-pdfs.js';
import { softwareKeySource } from './software-key-source.js';

/** Thrown by the test doubles to stand for a process that died at that point. */
class SimulatedCrash extends Error {}

function countSignatures(bytes: Buffer): number {
  return listSignatures(PdfDocument.open(new BufferSource(bytes))).length;
}

describe('sign-request handler: idempotent steps', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let dir: string;
  let store: Store;
  let account: Account;
  let key: SigningKey;
  let entry: InventoryEntry;
  let deps: PipelineDeps;
  let notices: string[];
  let n = 0;

  before(async () => {
    pki = await createTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-handler-'));
    store = await openEmbeddedStore(
      path.join(dir, 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBytes(generateMasterKeyBytes())),
    );
    account = await createAccountService({ store }).add({ login: 'mary', otpDisabled: true });
    const id = pki.identities.rsa2048;
    key = loadPemKey(fs.readFileSync(id.keyPath), fs.readFileSync(id.certPath), fs.readFileSync(id.chainPath));
    const keys = softwareKeySource(key);
    entry = keys.entry;
    await store.grants.grant({ accountId: account.id, certId: entry.id, isDefault: true, grantedAt: new Date() });
    notices = [];
    const notifier: Notifier = {
      signed: async (r) => void notices.push(`signed:${r.id}`),
      failed: async (r) => void notices.push(`failed:${r.id}`),
    };
    deps = {
      store,
      keys: keys.source,
      documents: routeDocuments({ file: fileDocumentGateway({ maxBytes: 10 * 1024 * 1024 }) }),
      notifier,
      workflow: noWorkflowCallback,
      logger: silentLogger,
      maxAttempts: 3,
    };
  });

  after(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A request in `approved` for a fresh input PDF. */
  async function newRequest(overrides: Partial<SignRequest> = {}, input?: Buffer): Promise<SignRequest> {
    const i = ++n;
    const inputPath = path.join(dir, `in-${i}.pdf`);
    fs.writeFileSync(inputPath, input ?? (await makePdf(`Handler test ${i}`, 2)));
    const now = new Date();
    const request: SignRequest = {
      id: crypto.randomUUID(),
      state: 'approved',
      version: 1,
      accountId: account.id,
      certId: entry.id,
      route: 'token:SoftToken',
      document: { kind: 'file', inputPath, outputPath: path.join(dir, `out-${i}.pdf`) },
      placement: { page: 'last', position: 'bottom-right', visible: true },
      otpRequired: false,
      steps: { authorize: { at: now, data: { otp: 'disabled' } } },
      createdAt: now,
      updatedAt: now,
      ...overrides,
    };
    await store.signRequests.create(request);
    return request;
  }

  const job = (r: SignRequest, attempt = 1, signal = new AbortController().signal) => ({
    messageId: r.id,
    route: r.route,
    attempt,
    signal,
    body: { type: 'sign-request', version: 1, requestId: r.id, route: r.route },
  });

  async function logOf(requestId: string): Promise<SignLogEntry[]> {
    const out: SignLogEntry[] = [];
    for await (const e of store.signLog.list()) if (e.requestId === requestId) out.push(e);
    return out;
  }

  /** Everything that must hold once a request completed, whatever happened on the way. */
  async function assertCompletedOnce(r: SignRequest): Promise<void> {
    const stored = (await store.signRequests.get(r.id))!;
    assert.equal(stored.state, 'completed');
    assert.deepEqual(Object.keys(stored.steps).sort(), [
      'authorize',
      'callback',
      'deliver',
      'fetch',
      'log',
      'notify',
      'sign',
    ]);
    const output = fs.readFileSync((r.document as { outputPath: string }).outputPath);
    assert.equal(countSignatures(output), 1, 'exactly one signature in the output');
    const input = fs.readFileSync((r.document as { inputPath: string }).inputPath);
    assert.ok(output.subarray(0, input.length).equals(input), 'incremental update: the input is a prefix');
    assert.equal(crypto.createHash('sha256').update(output).digest('hex'), stored.signedSha256);
    const log = await logOf(r.id);
    assert.deepEqual(
      log.map((e) => e.action),
      ['signed_without_otp'],
    );
    assert.equal(log[0]!.document?.sha256After, stored.signedSha256);
    assert.equal(log[0]!.document?.sha256Before, stored.inputSha256);
    assert.equal(log[0]!.certificate?.id, entry.id);
    assert.equal(log[0]!.otp, 'disabled');
    assert.equal(await store.blobs.get(`${r.id}.signed.${stored.signedSha256}`), undefined, 'blob removed');
  }

  it('runs the whole pipeline; running it again on the same job changes nothing', async () => {
    const r = await newRequest();
    const handle = createSignRequestHandler(deps);
    assert.equal(await handle(job(r)), 'completed');
    const first = (await store.signRequests.get(r.id))!;
    const output = fs.readFileSync((r.document as { outputPath: string }).outputPath);
    assert.equal(await handle(job(r, 2)), 'already-final');
    assert.equal(await createSignRequestHandler(deps)(job(r, 3)), 'already-final');
    assert.deepEqual(await store.signRequests.get(r.id), first, 'the request is untouched');
    assert.ok(fs.readFileSync((r.document as { outputPath: string }).outputPath).equals(output));
    await assertCompletedOnce(r);
    assert.equal(notices.filter((x) => x === `signed:${r.id}`).length, 1);
    const outPath = (r.document as { outputPath: string }).outputPath;
    assertAllValidAndTrusted(await pdfsig(outPath, { nssDir: pki.nssDir }), 1);
  });

  it('two workers on the same job at once: one signature delivered, one log entry', async () => {
    const r = await newRequest();
    const results = await Promise.allSettled([
      createSignRequestHandler(deps)(job(r)),
      createSignRequestHandler(deps)(job(r)),
    ]);
    assert.ok(
      results.some((x) => x.status === 'fulfilled' && x.value === 'completed'),
      JSON.stringify(results),
    );
    // The loser either found the request final or lost a race and is retried by the queue; retry it here.
    if (results.some((x) => x.status === 'rejected')) await createSignRequestHandler(deps)(job(r, 2));
    await assertCompletedOnce(r);
  });

  // The store commits of a fresh run: fetch; sign; deliver + log (one transaction); notify + callback +
  // completed (one write). `rewrite` stores something else than the pipeline asked for before the crash: the
  // records the earlier pipeline (one write per step) left at its crash points, which a resumed job must
  // still finish (its "delivered, not logged" is the test after these).
  const crashPoints: {
    after: string;
    when: (next: SignRequest) => boolean;
    rewrite?: (next: SignRequest) => SignRequest;
  }[] = [
    { after: 'fetch', when: (x) => x.state === 'signing' },
    { after: 'sign (signed, not delivered)', when: (x) => x.state === 'signed' },
    // Thrown inside the deliver + log transaction: it is rolled back, as by a crash before its commit.
    { after: 'deliver and log were written, not committed', when: (x) => x.steps.log !== undefined },
    {
      after: 'notify (the earlier pipeline: not completed, callback missing)',
      when: (x) => x.state === 'completed',
      rewrite: ({ steps: { callback: _, ...steps }, ...x }) => ({ ...x, steps, state: 'delivered' }),
    },
    {
      after: 'callback (the earlier pipeline: reported, not completed)',
      when: (x) => x.state === 'completed',
      rewrite: (x) => ({ ...x, state: 'delivered' }),
    },
  ];

  for (const point of crashPoints) {
    it(`a crash right after ${point.after}: the redelivered job finishes without signing again`, async () => {
      const r = await newRequest();
      let crashed = false;
      const crashingStore: Store = {
        ...store,
        signRequests: {
          ...store.signRequests,
          async update(next, expected) {
            const crash = !crashed && point.when(next);
            const ok = await store.signRequests.update(crash && point.rewrite ? point.rewrite(next) : next, expected);
            if (ok && crash) {
              crashed = true;
              throw new SimulatedCrash(`died after ${point.after}`);
            }
            return ok;
          },
        },
      };
      await assert.rejects(createSignRequestHandler({ ...deps, store: crashingStore })(job(r)), SimulatedCrash);
      const between = (await store.signRequests.get(r.id))!;
      const signedBefore = between.signedSha256;
      const signedAt = between.steps.sign?.at;
      if (point.after.startsWith('sign')) {
        assert.equal(between.state, 'signed');
        assert.equal(fs.existsSync((r.document as { outputPath: string }).outputPath), false, 'not delivered yet');
        assert.ok(await store.blobs.get(`${r.id}.signed.${signedBefore}`), 'the signed bytes wait in the blob store');
      }
      if (point.after.startsWith('deliver')) {
        assert.equal(between.state, 'signed', 'the delivery was not recorded without its log entry');
        assert.deepEqual(await logOf(r.id), [], 'the log entry was rolled back with it');
      }
      assert.equal(await createSignRequestHandler(deps)(job(r, 2)), 'completed');
      await assertCompletedOnce(r);
      const after = (await store.signRequests.get(r.id))!;
      if (signedBefore) {
        assert.equal(after.signedSha256, signedBefore, 'the recorded signature is the one delivered');
        assert.deepEqual(after.steps.sign?.at, signedAt, 'the sign step did not run again');
      }
    });
  }

  it('a file request whose report is local: delivered, logged, reported and completed in one commit (3 in all)', async () => {
    // A notifier that only writes locally (as the log notifier of file requests) and no workflow to call.
    const localDeps: PipelineDeps = {
      ...deps,
      notifier: { ...deps.notifier, signedLocally: (x) => x.document.kind === 'file' },
    };
    const writes: SignRequest['state'][] = [];
    let crashOnce = true;
    const countingStore: Store = {
      ...store,
      signRequests: {
        ...store.signRequests,
        async update(next, expected) {
          writes.push(next.state);
          // Thrown inside the deliver + log + complete transaction: it is rolled back, as by a crash before commit.
          if (crashOnce && next.state === 'completed') {
            crashOnce = false;
            throw new SimulatedCrash('died before the delivery commit');
          }
          return store.signRequests.update(next, expected);
        },
      },
    };
    const r = await newRequest();
    await assert.rejects(createSignRequestHandler({ ...localDeps, store: countingStore })(job(r)), SimulatedCrash);
    const between = (await store.signRequests.get(r.id))!;
    assert.equal(between.state, 'signed', 'neither the delivery nor the completion was recorded');
    assert.deepEqual(await logOf(r.id), [], 'the log entry was rolled back with them');
    writes.length = 0;
    const noticesBefore = notices.length;
    assert.equal(await createSignRequestHandler({ ...localDeps, store: countingStore })(job(r, 2)), 'completed');
    assert.deepEqual(writes, ['completed'], 'the resumed run: one commit from signed to completed');
    await assertCompletedOnce(r);
    // The crashed run had told already (before its commit): side steps may be repeated, the rerun tells again.
    assert.deepEqual(notices.slice(noticesBefore), [`signed:${r.id}`]);
    // A fresh file request: fetch, sign, and the one commit of delivery, log, report and completion.
    writes.length = 0;
    const fresh = await newRequest();
    assert.equal(await createSignRequestHandler({ ...localDeps, store: countingStore })(job(fresh)), 'completed');
    assert.deepEqual(writes, ['signing', 'signed', 'completed']);
    await assertCompletedOnce(fresh);
  });

  it('a request the earlier pipeline left delivered and not logged: logged once, completed', async () => {
    const r = await newRequest();
    const crashingStore: Store = {
      ...store,
      signRequests: {
        ...store.signRequests,
        async update(next, expected) {
          const ok = await store.signRequests.update(next, expected);
          if (ok && next.state === 'signed') throw new SimulatedCrash('died after sign');
          return ok;
        },
      },
    };
    await assert.rejects(createSignRequestHandler({ ...deps, store: crashingStore })(job(r)), SimulatedCrash);
    // What the earlier deliver step did before its own commit (the log followed in a commit of its own).
    const signed = (await store.signRequests.get(r.id))!;
    const bytes = (await store.blobs.get(`${r.id}.signed.${signed.signedSha256}`))!;
    const facts = await deps.documents.deliver(signed.document, bytes);
    const at = new Date();
    const delivered = transition(recordStep(signed, 'deliver', { at, data: facts }), 'delivered', at);
    assert.ok(await store.signRequests.update(delivered, signed.version));
    assert.deepEqual(await logOf(r.id), []);
    assert.equal(await createSignRequestHandler(deps)(job(r, 2)), 'completed');
    await assertCompletedOnce(r);
    assert.deepEqual((await store.signRequests.get(r.id))?.steps.deliver?.at, at, 'not delivered again');
  });

  it('a request waiting for its signer is left alone; a missing request and a malformed job are refused', async () => {
    const waiting = await newRequest({ state: 'awaiting_signer', steps: {} });
    assert.equal(await createSignRequestHandler(deps)(job(waiting)), 'waiting');
    assert.deepEqual(await store.signRequests.get(waiting.id), waiting);
    const handle = createSignRequestHandler(deps);
    const missing = {
      ...job(waiting),
      body: { type: 'sign-request', version: 1, requestId: 'nope', route: 'internal' },
    };
    await assert.rejects(handle(missing), (e: unknown) => e instanceof AppError && e.code === 'SIGN_REQUEST_NOT_FOUND');
    await assert.rejects(
      handle({ ...job(waiting), body: { type: 'sign-request', version: 2 } }),
      (e: unknown) => e instanceof AppError && e.code === 'INVALID_ARGUMENT' && /version 2/.test(e.message),
    );
  });

  const permanent: { name: string; code: string; make: () => Promise<SignRequest> }[] = [
    {
      name: 'an input that is not a PDF',
      code: 'PDF_NOT_PDF',
      make: () => newRequest({}, Buffer.from('hello, not a PDF')),
    },
    {
      name: 'a page that does not exist',
      code: 'PDF_PAGE_OUT_OF_RANGE',
      make: () => newRequest({ placement: { page: 9, position: 'top-left', visible: true } }),
    },
    {
      name: 'a certificate that is not granted',
      code: 'GRANT_MISSING',
      make: async () => {
        const other = await createAccountService({ store }).add({ login: `ivan-${++n}`, otpDisabled: true });
        return newRequest({ accountId: other.id });
      },
    },
  ];

  for (const c of permanent) {
    it(`${c.name}: the request fails with ${c.code}, the job is acknowledged, one 'failed' log entry`, async () => {
      const r = await c.make();
      assert.equal(await createSignRequestHandler(deps)(job(r)), 'failed');
      const stored = (await store.signRequests.get(r.id))!;
      assert.equal(stored.state, 'failed');
      assert.equal(stored.failure?.code, c.code);
      assert.equal(stored.signedSha256, undefined);
      assert.equal(fs.existsSync((r.document as { outputPath: string }).outputPath), false, 'nothing half-written');
      assert.deepEqual(
        (await logOf(r.id)).map((e) => [e.action, e.details?.code]),
        [['failed', c.code]],
      );
      assert.ok(notices.includes(`failed:${r.id}`));
      assert.equal(await createSignRequestHandler(deps)(job(r, 2)), 'already-final');
    });
  }

  it('an expired certificate fails the request with CERT_EXPIRED', async () => {
    const id = pki.identities.expired;
    const expiredKey = loadPemKey(fs.readFileSync(id.keyPath), fs.readFileSync(id.certPath));
    const keys = softwareKeySource(expiredKey);
    await store.grants.grant({ accountId: account.id, certId: keys.entry.id, isDefault: false, grantedAt: new Date() });
    const r = await newRequest({ certId: keys.entry.id });
    assert.equal(await createSignRequestHandler({ ...deps, keys: keys.source })(job(r)), 'failed');
    assert.equal((await store.signRequests.get(r.id))?.failure?.code, 'CERT_EXPIRED');
  });

  it('a transient error is retried; on the last attempt the request fails and the error reaches the queue', async () => {
    const r = await newRequest();
    const absent = new AppError('TOKEN_ABSENT', 'token "SoftToken" is not present; plug it in');
    const flaky: PipelineDeps = {
      ...deps,
      keys: {
        find: async (certId) => ({ ...(await deps.keys.find(certId)), openKey: async () => Promise.reject(absent) }),
      },
    };
    const handle = createSignRequestHandler(flaky);
    await assert.rejects(handle(job(r, 1)), absent);
    assert.equal((await store.signRequests.get(r.id))?.state, 'signing', 'attempt 1: still open, to be retried');
    await assert.rejects(handle(job(r, 3)), absent);
    const stored = (await store.signRequests.get(r.id))!;
    assert.equal(stored.state, 'failed');
    assert.deepEqual(stored.failure, { code: 'TOKEN_ABSENT', message: absent.message });
  });

  it('signs at the level of the certificate source; a revocation source that fails makes the job wait', async () => {
    const tsa = await startTestTsa(pki);
    try {
      const levels: PipelineDeps = { ...deps, levelFor: () => ({ level: 'B-T', tsaUrl: tsa.url }) };
      const r = await newRequest();
      assert.equal(await createSignRequestHandler(levels)(job(r)), 'completed');
      const output = fs.readFileSync((r.document as { outputPath: string }).outputPath);
      const report = verifyPdf(new BufferSource(output), { trustRoots: [pki.rootCertDer] });
      assert.equal(report.signatures[0]!.level, 'B-T');
      assert.equal((await store.signRequests.get(r.id))!.steps.sign?.data?.level, 'B-T');

      // The test PKI's certificates name a CRL at 127.0.0.1:9, where nothing answers: B-LT cannot be made,
      // and nothing falls back to a lower level or to local time: the job is retried with the reason.
      const lt: PipelineDeps = {
        ...deps,
        levelFor: () => ({ level: 'B-LT', tsaUrl: tsa.url, fetcher: createRevocationFetcher({ timeoutMs: 2000 }) }),
      };
      const waiting = await newRequest();
      await assert.rejects(
        createSignRequestHandler(lt)(job(waiting, 1)),
        (e: unknown) =>
          e instanceof AppError &&
          e.code === 'REVOCATION_UNAVAILABLE' &&
          /127\.0\.0\.1:9\/test-intermediate\.crl/.test(e.message),
      );
      const stored = (await store.signRequests.get(waiting.id))!;
      assert.equal(stored.state, 'signing', 'still open, to be retried');
      assert.equal(stored.signedSha256, undefined);
    } finally {
      await tsa.close();
    }
  });
});
