/**
 * The Sign dialog as Bitrix24 opens it: the emulator's launcher page form-POSTs the deal card's
 * CRM_DEAL_DETAIL_TOOLBAR placement into its iframe, in headless Chromium, against the service running as a
 * child process (RabbitMQ, SoftHSM2 token). Mary picks the file, the certificate and a position (the text
 * beside the grid follows, also by keyboard), types a wrong code (message, the dialog stays usable), then
 * the right one: the dialog reports success with a link to the signed file, the deal's field holds a PDF
 * that pdfsig finds valid and the timeline says who signed. Ivan's portal language is Russian; his deal's
 * "PDF" is a text file, which the dialog reports as such. Nina ticks the three PDFs of another deal and
 * signs them with one code: one request each with one batch id, a line per file with its link, three signed
 * files on the deal and one timeline comment per file; axe-core checks the dialog's new states.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import { assertAxeClean } from '../support/axe-check.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { assertAllValidAndTrusted, pdfsig } from '../support/verifiers.js';
import { ARTIFACTS, B24UiFixture, type UiSigner } from './b24ui-fixture.js';

const OTHER_FIELD = 'UF_CRM_ATTACHMENTS';

/** The product brief's central case: one person's ten certificates on one shared token, all the same name. */
const TEN_SAME_NAME = Array.from({ length: 10 }, (_, i) => ({
  id: `c${i}`,
  keyType: 'ecP256' as const,
  cn: 'Мария Иванова',
}));

describe('Sign dialog in Bitrix24 (Chromium, emulator, RabbitMQ, SoftHSM2)', function () {
  this.timeout(180_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;
  let mary: UiSigner;
  let ivan: UiSigner;
  let nina: UiSigner;
  let maria: UiSigner;

  before(async () => {
    await fx.startUi({}, { extraIdentities: TEN_SAME_NAME });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    portal.addFileField(PDF_FIELD, { multiple: false, label: 'Contract' });
    portal.addFileField(OTHER_FIELD, { multiple: true, label: 'Attachments' });
    mary = await fx.uiSigner(portal, 'mary', { language: 'en' });
    ivan = await fx.uiSigner(portal, 'ivan', { language: 'ru' });
    // A signer of her own for the three files: each signer's codes stay inside the ±1 step window.
    nina = await fx.uiSigner(portal, 'nina', { language: 'en' });
    maria = await fx.uiSigner(portal, 'maria', { language: 'ru', certIds: fx.extraCertIds });
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
      const files = frame.locator('input[name="file"]');
      assert.equal(await files.count(), 2, 'both files are listed');
      assert.deepEqual(
        (await frame.locator('#sign-files label').allTextContents()).map((t) => t.trim()),
        ['contract.pdf', 'notes.txt (not a PDF)'],
        'by their file names',
      );
      assert.equal(await files.nth(1).isDisabled(), true, 'the text file cannot be chosen');
      for (const box of await files.all()) await box.setChecked(false);
      assert.equal(await frame.locator('#sign-otp').isVisible(), false, 'no code is asked before a file is chosen');
      assert.equal(await frame.locator('#code-after-choice').isVisible(), true);
      assert.equal(await frame.locator('#sign-submit').isDisabled(), true);
      await frame.locator(`input[name="file"][value="${PDF_FIELD}:${original.id}"]`).check();
      assert.equal(await frame.locator('#sign-otp').isVisible(), true, 'the code is asked once the choice is valid');
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

  it('signs three PDFs of one deal with one code: three signed files, one batch id, a timeline comment each', async () => {
    const pdfs = await Promise.all(['Contract', 'Annex 1', 'Annex 2'].map((t) => makePdf(t, 1)));
    const deal = portal.createDeal({
      title: 'Three documents',
      files: { [OTHER_FIELD]: pdfs.map((bytes, i) => ({ name: `doc-${i + 1}.pdf`, bytes })) },
    });
    const originals = deal.files[OTHER_FIELD]!.map((f) => f.id);
    const page = await fx.chromium.browser.newPage({ viewport: { width: 900, height: 1100 } });
    try {
      const frame = await openDialog(page, nina.userId, deal.id);
      const inFrame = await (await page.$('#app-frame'))!.contentFrame();
      assert.ok(inFrame);
      const boxes = frame.locator('input[name="file"]');
      assert.equal(await boxes.count(), 3);
      for (const box of await boxes.all()) await box.check();
      await assertAxeClean(inFrame, 'the dialog with three files ticked');
      await frame.locator('#sign-otp').fill(nina.wrongCode());
      await frame.locator('#sign-submit').click();
      await frame.locator('#sign-error').waitFor({ timeout: 15_000 });
      await assertAxeClean(inFrame, 'the dialog with a refused code');
      await frame.locator('#sign-otp').fill(nina.code());
      await frame.locator('#sign-submit').click();
      const progress = frame.locator('#sign-files-progress li');
      await progress.first().waitFor({ timeout: 15_000 });
      assert.equal(await progress.count(), 3, 'a line per file');
      await assertAxeClean(inFrame, 'the dialog following three files');
      const success = frame.locator('#sign-success');
      await success.waitFor({ timeout: 60_000 });
      assert.equal(
        await success.textContent(),
        '3 documents signed. The signed PDFs have replaced the originals on the deal.',
      );
      assert.equal(await frame.locator('#sign-files-progress .b24-signed-link').count(), 3, 'a link to each');
      await assertAxeClean(inFrame, 'the dialog after three signatures');
      await page.setViewportSize({ width: 375, height: 900 });
      await assertAxeClean(inFrame, 'the dialog at 375 px');
      await page.screenshot({ path: path.join(ARTIFACTS, 'sign-dialog-three-files.png'), fullPage: true });
    } finally {
      await page.close();
    }
    const now = portal.getDeal(deal.id)!.files[OTHER_FIELD]!;
    assert.equal(now.length, 3, 'the deal holds three files');
    assert.deepEqual(
      now.filter((f) => originals.includes(f.id)),
      [],
      'each original was replaced by its signed copy',
    );
    for (const [i, file] of now.entries()) {
      const out = path.join(fx.dir, `three-${i}.pdf`);
      fs.writeFileSync(out, file.bytes);
      assertAllValidAndTrusted(await pdfsig(out, { nssDir: fx.token.nssDir }), 1);
    }
    assert.equal(portal.timeline(deal.id).length, 3, 'one timeline comment per signed file');
    const entries: SignLogEntry[] = [];
    for await (const e of fx.store.signLog.list()) if (e.action === 'signed') entries.push(e);
    const batch = entries.filter((e) => e.document?.dealId === String(deal.id));
    assert.equal(batch.length, 3);
    assert.equal(new Set(batch.map((e) => e.details?.batchId)).size, 1, 'one batch id');
    assert.ok(batch[0]?.details?.batchId);
  });

  it('speaks the portal language and lists a file that is not a PDF by name, marked and not choosable', async () => {
    const deal = portal.createDeal({
      title: 'Акт',
      files: { [OTHER_FIELD]: [{ name: 'акт сверки.txt', bytes: Buffer.from('это не PDF') }] },
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
      const file = frame.locator('input[name="file"]');
      assert.equal(((await frame.locator('#sign-files label').textContent()) ?? '').trim(), 'акт сверки.txt (не PDF)');
      assert.equal(await file.isDisabled(), true, 'a non-PDF cannot be chosen');
      assert.equal(await frame.locator('#sign-otp').isVisible(), false, 'so no code is asked (none is wasted)');
      assert.match((await frame.locator('#code-after-choice').textContent()) ?? '', /Сначала выберите файл/);
      assert.equal(await frame.locator('#sign-submit').isDisabled(), true);
      const inFrame = await (await page.$('#app-frame'))!.contentFrame();
      await assertAxeClean(inFrame!, 'the dialog with only a non-PDF');
      await page.screenshot({ path: path.join(ARTIFACTS, 'sign-dialog-ivan-not-pdf.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('tells ten same-name certificates on one token apart: ten different entries, the default first, a given name shown', async () => {
    const [first, , , , fifth] = fx.extraCertIds;
    await fx.store.certificateNames.set(fifth!, 'Печать бухгалтерии', new Date());
    const deal = portal.createDeal({
      title: 'Договор поставки',
      files: { [PDF_FIELD]: [{ name: 'dogovor.pdf', bytes: await makePdf('Supply contract', 1) }] },
    });
    for (const width of [1280, 375]) {
      const page = await fx.chromium.browser.newPage({ viewport: { width, height: 1000 } });
      try {
        const frame = await openDialog(page, maria.userId, deal.id);
        const options = frame.locator('#sign-cert option');
        const labels = (await options.allTextContents()).map((t) => t.trim());
        assert.equal(labels.length, 10, 'all ten certificates are offered');
        assert.equal(new Set(labels).size, 10, `ten distinguishable entries:\n${labels.join('\n')}`);
        // A closed <select> at 375 px shows about 40 characters: what tells them apart comes first.
        assert.equal(
          new Set(labels.map((l) => l.slice(0, 40))).size,
          10,
          'distinguishable in their first 40 characters',
        );
        assert.equal(await options.first().getAttribute('value'), first, 'the default first');
        assert.match(labels[0]!, /— по умолчанию$/);
        assert.equal(await frame.locator('#sign-cert').inputValue(), first, 'and chosen');
        const named = labels.filter((l) => l.startsWith('Печать бухгалтерии'));
        assert.equal(named.length, 1, 'the certificate with a display name shows it');
        for (const label of labels.filter((l) => !l.startsWith('Печать'))) {
          assert.match(
            label,
            new RegExp(
              `^Мария Иванова, № [0-9A-F…]+, токен «${fx.token.label}», действует до .+, издатель: SignService Test CA`,
            ),
          );
        }
        const inFrame = await (await page.$('#app-frame'))!.contentFrame();
        await assertAxeClean(inFrame!, `the dialog with ten certificates at ${width} px`);
        // A closed <select> shows one entry: open it as a list box for the picture.
        await frame.locator('#sign-cert').evaluate((el) => el.setAttribute('size', '10'));
        await page.screenshot({
          path: path.join(ARTIFACTS, `sign-dialog-ten-certificates-ru-${width}.png`),
          fullPage: true,
        });
      } finally {
        await page.close();
      }
    }
  });
});
