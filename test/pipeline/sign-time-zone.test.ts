/**
 * The worker's sign step stamps the signing time in the zone the request carries (the signer's): a request from
 * a signer in Europe/Moscow shows +03:00, one in Asia/Vladivostok +10:00, read back from the delivered PDF as
 * MuPDF draws it. A request without a zone gets the service's (the process's TZ); one with a zone Intl does not
 * know is still signed, in the service's zone, and the worker logs a warning naming it. The real handler, the
 * embedded store, the PDF engine and a software key; pdfsig, qpdf and mutool check every output.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { loadPemKey } from '../../shared/crypto/software-key.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { createLogger } from '../../shared/logger.js';
import { offsetMinutes, systemTimeZone } from '../../shared/pdf/stamp/stamp-time.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { routeDocuments } from '../../worker/gateways/document-gateway.js';
import { fileDocumentGateway } from '../../worker/gateways/file-document-gateway.js';
import { noWorkflowCallback } from '../../worker/gateways/workflow-callback.js';
import type { PipelineDeps } from '../../worker/pipeline-context.js';
import { createSignRequestHandler } from '../../worker/sign-request-handler.js';
import { assertSignaturesIntact } from '../pdf/stamp/stamp-measure.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki } from '../support/test-pki.js';
import { makePdf } from './make-pdfs.js';
import { softwareKeySource } from './software-key-source.js';

/** "+hh:mm" for `minutes` east of UTC, worked out without Intl. */
function offsetText(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

describe('sign step: the stamp in the signer’s time zone', function () {
  this.timeout(120_000);
  let dir: string;
  let store: Store;
  let deps: PipelineDeps;
  let base: Omit<SignRequest, 'id' | 'document'>;
  const logLines: string[] = [];
  let n = 0;

  before(async () => {
    const pki = await createTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-tz-'));
    store = await openEmbeddedStore(
      path.join(dir, 'signservice.sqlite'),
      storeKeysFor(MasterKey.fromBytes(generateMasterKeyBytes())),
    );
    const account = await createAccountService({ store }).add({ login: 'olga', otpDisabled: true });
    const id = pki.identities.cyrillic;
    const keys = softwareKeySource(
      loadPemKey(fs.readFileSync(id.keyPath), fs.readFileSync(id.certPath), fs.readFileSync(id.chainPath)),
    );
    await store.grants.grant({ accountId: account.id, certId: keys.entry.id, isDefault: true, grantedAt: new Date() });
    deps = {
      store,
      keys: keys.source,
      documents: routeDocuments({ file: fileDocumentGateway({ maxBytes: 10 * 1024 * 1024 }) }),
      notifier: { signed: async () => {}, failed: async () => {} },
      workflow: noWorkflowCallback,
      logger: createLogger({ sink: (line) => logLines.push(line) }),
      maxAttempts: 3,
      stampLanguage: 'ru',
    };
    const now = new Date();
    base = {
      state: 'approved',
      version: 1,
      accountId: account.id,
      certId: keys.entry.id,
      route: 'token:SoftToken',
      placement: { page: 'last', position: 'bottom-right', visible: true },
      otpRequired: false,
      steps: { authorize: { at: now, data: { otp: 'disabled' } } },
      createdAt: now,
      updatedAt: now,
    };
  });
  after(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one request with `timeZone` through the handler; returns the stored request and the stamp's text. */
  async function sign(timeZone: string | undefined): Promise<{ stored: SignRequest; text: string }> {
    const i = ++n;
    const inputPath = path.join(dir, `in-${i}.pdf`);
    const outputPath = path.join(dir, `out-${i}.pdf`);
    fs.writeFileSync(inputPath, await makePdf(`Time zone test ${i}`, 1));
    const request: SignRequest = {
      ...base,
      id: crypto.randomUUID(),
      document: { kind: 'file', inputPath, outputPath },
      ...(timeZone === undefined ? {} : { timeZone }),
    };
    await store.signRequests.create(request);
    const outcome = await createSignRequestHandler(deps)({
      messageId: request.id,
      route: request.route,
      attempt: 1,
      signal: new AbortController().signal,
      body: { type: 'sign-request', version: 1, requestId: request.id, route: request.route },
    });
    assert.equal(outcome, 'completed');
    await assertSignaturesIntact(outputPath, 1);
    const run = await runTool('mutool', ['draw', '-F', 'txt', '-o', '-', outputPath, '1']);
    return { stored: (await store.signRequests.get(request.id))!, text: run.stdout.replace(/\s+/g, ' ') };
  }

  for (const [zone, offset] of [
    ['Europe/Moscow', '+03:00'],
    ['Asia/Vladivostok', '+10:00'],
  ] as const) {
    it(`a signer in ${zone}: the stamp shows ${offset}`, async () => {
      const { stored, text } = await sign(zone);
      assert.match(text, new RegExp(`Подписан: \\d\\d\\.\\d\\d\\.\\d{4}, \\d\\d:\\d\\d \\${offset}`), text);
      assert.equal(stored.steps.sign?.data.timeZone, zone);
    });
  }

  it('no zone on the request: the service’s; an unknown one: the service’s, with a warning', async () => {
    const service = systemTimeZone();
    const plain = await sign(undefined);
    const bogus = await sign('Mars/Olympus_Mons');
    for (const { stored, text } of [plain, bogus]) {
      assert.equal(stored.steps.sign?.data.timeZone, service);
      const offset = offsetText(offsetMinutes(stored.steps.sign!.at, service));
      assert.ok(text.includes(offset), `${offset} in ${text}`);
    }
    const warnings = logLines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn' && l.step === 'sign');
    assert.deepEqual(
      warnings.map((w) => w.timeZone),
      ['Mars/Olympus_Mons'],
    );
  });
});
