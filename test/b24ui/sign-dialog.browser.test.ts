/**
 * The Sign dialog as Bitrix24 opens it: the emulator's launcher page form-POSTs the deal card's
 * CRM_DEAL_DETAIL_TOOLBAR placement into its iframe, in headless Chromium, against the service running as a
 * child process (RabbitMQ, SoftHSM2 token). Mary picks the file, the certificate and a position (the text
 * beside the grid follows, also by keyboard), types a wrong code (message, the dialog stays usable), then
 * the right one: the dialog reports success with a link to the signed file, the deal's field holds a PDF
 * that pdfsig finds valid and the timeline says who signed. Ivan's portal language is Russian; his deal's
 * "PDF" is a text file, which the dialog reports as such.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { assertAllValidAndTrusted } from '../support/verifiers.js';
import { ARTIFACTS, B24UiFixture, type UiSigner } from './b24ui-fixture.js';

const OTHER_FIELD = 'UF_CRM_ATTACHMENTS';

describe('Sign dialog in Bitrix24 (Chromium, emulator, RabbitMQ, SoftHSM2)', function () {
  this.timeout(180_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;
  let mary: UiSigner;
  let ivan: UiSigner;

  before(async () => {
    await fx.startUi();
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    portal.addFileField(PDF_FIELD, { multiple: false, label: 'Contract' });
    portal.addFileField(OTHER_FIELD, { multiple: true, label: 'Attachments' });
    mary = await fx.uiSigner(portal, 'mary', { language: 'en' });
    ivan = await fx.uiSigner(portal, 'ivan', { language: 'ru' });
  });
  after(async () => {
    await fx.stopUi();
  });

  async function openDialog(page: Page, userId: number, dealId: number): Promise<FrameLocator> {
    const csp: string[] = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) csp.push(m.text());
    });
    await page.goto(fx.emulator.placementLauncherUrl(portal, 'CRM_DEAL_DETAIL_TOOLBAR', userId, { dealId }));
    const frame = page.frameLocator('#app-frame');
    await frame.locator('#sign-form').waitFor({ timeout: 20_000 });
    assert.deepEqual(csp, [], 'no CSP violations');
    return frame;
  }

  it('signs the chosen PDF: file, certificate, position, wrong code then the right one', async () => {
    const pdf = await makePdf('Supply contract', 2);
    const deal = portal.createDeal({
      title: 'Supply contract',
      files: {
        [PDF_FIELD]: [{ name: 'contract.pdf', bytes: pdf }],
        [OTHER_FIELD]: [{ name: 'notes.txt', bytes: Buffer.from('not a pdf') }],
      },
    });
    const original = deal.files[PDF_FIELD]![0]!;
    const page = await fx.chromium.browser.newPage({ viewport: { width: 900, height: 1000 } });
    try {
      const frame = await openDialog(page, mary.userId, deal.id);
      assert.equal(await frame.locator('h1').textContent(), 'Sign a PDF');
      assert.equal(await frame.locator('#sign-file option').count(), 2, 'both files are offered');
      await frame.locator('#sign-file').selectOption(`${PDF_FIELD}:${original.id}`);
      await frame.locator('#sign-cert').selectOption(fx.certId);
      assert.match(
        (await frame.locator('#sign-cert option:checked').textContent()) ?? '',
        /Mary Robot Signer.*valid until/,
      );

      const description = frame.locator('#position-description');
      assert.match((await description.textContent()) ?? '', /bottom right corner of the last page/);
      await frame.locator('label:has(#pos-top-left)').click();
      assert.match((await description.textContent()) ?? '', /top left corner of the last page/);
      // Keyboard: the cells are one radio group, arrows move the choice.
      await frame.locator('#pos-top-left').press('ArrowRight');
      assert.equal(await frame.locator('#pos-top-center').isChecked(), true);
      assert.match((await description.textContent()) ?? '', /middle of the top edge of the last page/);
      await frame.locator('label:has(input[name="page"][value="first"])').click();
      assert.match((await description.textContent()) ?? '', /of the first page/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'sign-dialog-mary.png'), fullPage: true });

      await frame.locator('#sign-otp').fill(mary.wrongCode());
      await frame.locator('#sign-submit').click();
      const error = frame.locator('#sign-error');
      await error.waitFor({ timeout: 15_000 });
      assert.match((await error.textContent()) ?? '', /Wrong code/);
      assert.equal(await frame.locator('#sign-submit').isEnabled(), true, 'the dialog stays usable');

      await frame.locator('#sign-otp').fill(mary.code());
      await frame.locator('#sign-submit').click();
      const success = frame.locator('#sign-success');
      await success.waitFor({ timeout: 60_000 });
      assert.match((await success.textContent()) ?? '', /Signed/);
      const href = await frame.locator('#signed-file-link').getAttribute('href');
      await page.screenshot({ path: path.join(ARTIFACTS, 'sign-dialog-mary-signed.png'), fullPage: true });

      const { file, report } = await fx.pdfsigOfDeal(portal, deal.id);
      assert.notEqual(file.id, original.id, 'the signed file replaced the original');
      assert.ok(href?.includes(`fileId=${file.id}`), `the link opens the signed file: ${href}`);
      assertAllValidAndTrusted(report, 1);
      const comments = portal.timeline(deal.id);
      assert.equal(comments.length, 1);
      assert.match(comments[0]!.comment, /Mary Robot Signer/);
      assert.equal(portal.getDeal(deal.id)?.files[OTHER_FIELD]?.length, 1, 'the other field is untouched');
    } finally {
      await page.close();
    }
  });

  it('speaks the portal language and names a file that is not a PDF', async () => {
    const deal = portal.createDeal({
      title: 'Акт',
      files: { [OTHER_FIELD]: [{ name: 'akt.txt', bytes: Buffer.from('это не PDF') }] },
    });
    const page = await fx.chromium.browser.newPage({ viewport: { width: 900, height: 1000 } });
    try {
      const frame = await openDialog(page, ivan.userId, deal.id);
      assert.equal(await frame.locator('h1').textContent(), 'Подписать PDF');
      assert.equal(await frame.locator('html').getAttribute('lang'), 'ru');
      await frame.locator('#sign-visible').uncheck();
      assert.match((await frame.locator('#position-description').textContent()) ?? '', /Невидимая подпись/);
      assert.equal(
        await frame.locator('#pos-top-left').isDisabled(),
        true,
        'positions are off for an invisible signature',
      );
      await frame.locator('#sign-otp').fill(ivan.code());
      await frame.locator('#sign-submit').click();
      const error = frame.locator('#sign-error');
      await error.waitFor({ timeout: 60_000 });
      assert.match((await error.textContent()) ?? '', /не PDF/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'sign-dialog-ivan-not-pdf.png'), fullPage: true });
      assert.equal(await frame.locator('#sign-submit').isEnabled(), true);
    } finally {
      await page.close();
    }
  });
});
