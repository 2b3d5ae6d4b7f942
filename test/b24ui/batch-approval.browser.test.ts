/**
 * Batch signing from the approval link, as Anna lives it in headless Chromium against the running service
 * (child process), the portal emulator (robot calls), RabbitMQ and a SoftHSM2 token: twelve workflow steps
 * wait for her; the approval page of one of them points to "Waiting for me"; she selects all, sees the twelve
 * again on the confirmation step, types one code, and follows the progress until each document is signed —
 * twelve signed PDFs on the deals (pdfsig), twelve sign-log entries with one batch id, every workflow told
 * Result=signed. Then twelve more, one of them an encrypted PDF: eleven signed, one failed with its reason,
 * each workflow told its own outcome. axe-core (WCAG 2.1 AA) checks the list, the confirmation, the progress
 * and the error state, in English and Russian, at 375 px too; screenshots go to test/artifacts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import { assertAxeClean } from '../support/axe-check.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { runTool } from '../support/run-tool.js';
import { assertAllValidAndTrusted } from '../support/verifiers.js';
import { type WaitingStep, waitingStep } from './approval-calls.js';
import { ARTIFACTS, B24UiFixture, type UiSigner } from './b24ui-fixture.js';

describe('Batch signing from "Waiting for me" (Chromium, axe, emulator, RabbitMQ, SoftHSM2)', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let portalA: PortalHandle;
  let portalB: PortalHandle;
  let anna: UiSigner;
  let boris: UiSigner;

  before(async () => {
    await fx.startUi();
    // Two companies: each portal has its own request budget (2/s), as on Bitrix24.
    portalA = fx.emulator.portal('portal-a.bitrix24.test');
    portalB = fx.emulator.addPortal({ domain: 'portal-b.bitrix24.test' });
    await fx.install(portalA);
    await fx.install(portalB);
    anna = await fx.uiSigner(portalA, 'anna', { accountLanguage: 'en' });
    boris = await fx.uiSigner(portalB, 'boris', { accountLanguage: 'ru', language: 'ru' });
  });
  after(async () => {
    await fx.stopUi();
  });

  /** `count` robot steps waiting for `signer`; `bad` maps an index to the bytes of a document that is no good. */
  function steps(
    portal: PortalHandle,
    signer: UiSigner,
    prefix: string,
    count: number,
    bad: Record<number, Buffer> = {},
  ) {
    return Promise.all(
      Array.from({ length: count }, (_, i) => waitingStep(fx, portal, signer.userId, `${prefix} ${i + 1}`, 1, bad[i])),
    );
  }

  async function signLog(): Promise<SignLogEntry[]> {
    const out: SignLogEntry[] = [];
    for await (const e of fx.store.signLog.list()) out.push(e);
    return out;
  }

  /** The workflow outcome each step was told (bizproc.event.send accepted for its event token). */
  async function outcomes(portal: PortalHandle, waiting: WaitingStep[]): Promise<string[]> {
    const told = await Promise.all(
      waiting.map((w) => fx.waitForStepClosed(portal, { eventToken: w.eventToken } as never, 60_000)),
    );
    return told.map((send) => String(send.matchedReturnValues.Result));
  }

  /** From one approval link to the progress page: the list, select all, the confirmation, one code. */
  async function signAllFromList(page: Page, signer: UiSigner, first: WaitingStep, count: number, lang: 'en' | 'ru') {
    await page.goto(`${first.link}?lang=${lang}`);
    const note = page.locator('#waiting-note');
    assert.match((await note.textContent()) ?? '', lang === 'en' ? /12 documents wait/ : /12 документов ждут/);
    await page.locator('#waiting-link').click();
    await page.locator('#waiting-list').waitFor();
    assert.equal(await page.locator('#waiting-list li').count(), count);
    await assertAxeClean(page, `the waiting list (${lang})`);
    await page.screenshot({ path: path.join(ARTIFACTS, `batch-list-${lang}.png`), fullPage: true });
    await page.locator('#select-all').check();
    assert.equal(await page.locator('.b24-batch-pick:checked').count(), count);
    await page.locator('#review-submit').click();
    await page.locator('#confirm-list').waitFor();
    assert.equal(await page.locator('#confirm-list li').count(), count, 'the confirmation lists every document');
    assert.match(
      (await page.locator('#confirm-submit').textContent()) ?? '',
      lang === 'en' ? /Sign 12 documents/ : /Подписать 12 документов/,
    );
    await assertAxeClean(page, `the confirmation (${lang})`);
    await page.screenshot({ path: path.join(ARTIFACTS, `batch-confirm-${lang}.png`), fullPage: true });
    await page.locator('#confirm-otp').fill(signer.code());
    await page.locator('#confirm-submit').click();
    await page.locator('#batch-items').waitFor();
    await assertAxeClean(page, `the progress (${lang})`);
    await page.locator('#batch-summary:not([hidden])').waitFor({ timeout: 120_000 });
  }

  it('twelve steps, one code from the list: twelve signed PDFs, one batch id, every workflow told', async () => {
    const waiting = await steps(portalA, anna, 'Supply contract', 12);
    const page = await fx.chromium.browser.newPage({ viewport: { width: 1000, height: 1200 } });
    try {
      await signAllFromList(page, anna, waiting[0]!, 12, 'en');
      assert.equal(await page.locator('#batch-summary').textContent(), '12 documents signed.');
      assert.equal(await page.locator('#batch-count').textContent(), '12 of 12 done');
      assert.equal(await page.locator('#batch-items .b24-signed-link').count(), 12, 'a link to each signed file');
      await assertAxeClean(page, 'the finished progress');
      await page.screenshot({ path: path.join(ARTIFACTS, 'batch-progress-done.png'), fullPage: true });
      await page.setViewportSize({ width: 375, height: 800 });
      await assertAxeClean(page, 'the finished progress at 375 px');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling at 375 px (${overflow} px)`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'batch-progress-375.png'), fullPage: true });
    } finally {
      await page.close();
    }
    const requests = await Promise.all(waiting.map((w) => fx.waitFor(w.requestId)));
    assert.deepEqual(new Set(requests.map((r) => r.state)), new Set(['completed']));
    const batchId = requests[0]!.batchId;
    assert.ok(batchId && requests.every((r) => r.batchId === batchId), 'one batch id on every request');
    const entries = (await signLog()).filter((e) => e.action === 'signed' && e.details?.batchId === batchId);
    assert.deepEqual(entries.map((e) => e.requestId).sort(), waiting.map((w) => w.requestId).sort());
    for (const w of waiting) assertAllValidAndTrusted((await fx.pdfsigOfDeal(portalA, w.dealId)).report, 1);
    assert.deepEqual(await outcomes(portalA, waiting), Array(12).fill('signed'));
  });

  it('twelve steps with an encrypted PDF among them (Russian): eleven signed, one failed with its reason', async () => {
    const plain = path.join(fx.dir, 'plain.pdf');
    const locked = path.join(fx.dir, 'locked.pdf');
    fs.writeFileSync(plain, await makePdf('Locked act', 1));
    const qpdf = await runTool('qpdf', ['--encrypt', 'user-pw', 'owner-pw', '256', '--', plain, locked]);
    assert.equal(qpdf.exitCode, 0, qpdf.stderr);
    const waiting = await steps(portalB, boris, 'Act', 12, { 6: fs.readFileSync(locked) });
    const page = await fx.chromium.browser.newPage({ viewport: { width: 1000, height: 1200 } });
    try {
      await signAllFromList(page, boris, waiting[0]!, 12, 'ru');
      assert.equal(
        await page.locator('#batch-summary').textContent(),
        'Подписано 11 документов. Не подписан 1 документ.',
      );
      const failed = page.locator('#batch-items li[data-state="failed"]');
      assert.equal(await failed.count(), 1);
      assert.match((await failed.locator('.b24-batch-state').textContent()) ?? '', /Не подписано: PDF защищён паролем/);
      await assertAxeClean(page, 'the progress with a failed document (ru)');
      await page.screenshot({ path: path.join(ARTIFACTS, 'batch-progress-failed-ru.png'), fullPage: true });
    } finally {
      await page.close();
    }
    const requests = await Promise.all(waiting.map((w) => fx.waitFor(w.requestId)));
    assert.deepEqual(
      requests.map((r) => r.state),
      waiting.map((_, i) => (i === 6 ? 'failed' : 'completed')),
    );
    assert.equal(requests[6]!.failure?.code, 'PDF_ENCRYPTED');
    const told = await outcomes(portalB, waiting);
    assert.deepEqual(
      told,
      waiting.map((_, i) => (i === 6 ? 'failed' : 'signed')),
      'each workflow told its own outcome',
    );
    const log = await signLog();
    const batchId = requests[0]!.batchId;
    assert.equal(log.filter((e) => e.action === 'signed' && e.details?.batchId === batchId).length, 11);
    const failure = log.find((e) => e.action === 'failed' && e.requestId === waiting[6]!.requestId);
    assert.equal(failure?.details?.batchId, batchId, 'the failure names its batch too');
  });
});
