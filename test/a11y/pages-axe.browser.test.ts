/**
 * axe-core (WCAG 2.1 A and AA, zero violations) on every page state of the activity app that page-states.ts
 * assigns to this test, in Russian and English, at 375 px and 1280 px, in headless Chromium against the
 * service as a child process (emulated Bitrix24, RabbitMQ, SoftHSM2): enrollment (form, key, wrong code,
 * done, used and unknown link), the Sign dialog (no files, open, wrong code, signed), the approval page
 * (open, wrong code, waiting list, decided, bad link) and /verify (empty, not a PDF, a signed PDF). At 375 px
 * no page scrolls sideways. Each state is photographed to test/artifacts/a11y/<state>-<lang>-<width>.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import type { Frame, Page } from 'playwright-core';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { createEnrollmentService } from '../../shared/otp/enrollment-service.js';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { waitingStep } from '../b24ui/approval-calls.js';
import { ARTIFACTS, B24UiFixture, type UiSigner } from '../b24ui/b24ui-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import { assertAxeClean } from '../support/axe-check.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { AXE_TEST, HTML_PAGES, POSTED_PAGES } from './page-states.js';

type Lang = 'en' | 'ru';
const LANGS: Lang[] = ['en', 'ru'];
const WIDTHS = [1280, 375];
const SHOTS = path.join(ARTIFACTS, 'a11y');

describe('axe-core on every page state, ru and en, 375 px and 1280 px (Chromium, emulator, RabbitMQ, SoftHSM2)', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;
  const signers = {} as Record<Lang, UiSigner>;
  const approvers = {} as Record<Lang, UiSigner>;
  const signedPdfs = {} as Record<Lang, string>;
  const visited = new Set<string>();

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    await fx.startUi();
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    for (const lang of LANGS) {
      signers[lang] = await fx.uiSigner(portal, `signer-${lang}`, { language: lang });
      approvers[lang] = await fx.uiSigner(portal, `approver-${lang}`, { language: lang, accountLanguage: lang });
    }
  });
  after(async () => {
    await fx.stopUi();
  });

  /** axe and a screenshot of `state` at each width; at 375 px the page must not scroll sideways. */
  async function check(page: Page, target: Page | Frame, state: string, lang: Lang): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await assertAxeClean(target, `${state} (${lang}, ${width} px)`);
      const overflow = await target.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      const widest = await target.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .slice(-3)
          .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`),
      );
      assert.ok(overflow <= 0, `${state} (${lang}, ${width} px) scrolls sideways by ${overflow} px: ${widest}`);
      await page.screenshot({ path: path.join(SHOTS, `${state}-${lang}-${width}.png`), fullPage: true });
    }
    visited.add(state);
  }

  async function withPage(work: (page: Page) => Promise<void>): Promise<void> {
    const page = await fx.chromium.browser.newPage({ viewport: { width: WIDTHS[0]!, height: 900 } });
    try {
      await work(page);
    } finally {
      await page.close();
    }
  }

  for (const lang of LANGS) {
    it(`enrollment (${lang}): form, key, wrong code, done, used link, unknown link`, async () => {
      const account = await createAccountService({ store: fx.store }).add({
        login: `enrol-${lang}`,
        email: `enrol-${lang}@acme.test`,
        memberId: portal.memberId,
      });
      const enrollment = createEnrollmentService({
        store: fx.store,
        masterKey: fx.masterKey,
        issuer: 'SignService Test',
        publicBaseUrl: fx.baseUrl,
        linkMinutes: 60,
      });
      const link = await enrollment.createLink({ account });
      await withPage(async (page) => {
        await page.goto(`${link.url}?lang=${lang}`);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        await check(page, page, 'enroll-form', lang);
        await page.locator('#enroll-reveal').click();
        // The key is written out inside a <details> (for those who cannot scan the QR code).
        await page.locator('#otp-key').waitFor({ state: 'attached' });
        await check(page, page, 'enroll-key', lang);
        const key = ((await page.locator('#otp-key').textContent()) ?? '').replace(/\s+/g, '');
        const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) });
        const right = totp.generate();
        await page.locator('#otp-code').fill(right === '000000' ? '111111' : '000000');
        await page.locator('#otp-submit').click();
        await page.locator('#enroll-error').waitFor();
        await check(page, page, 'enroll-wrong-code', lang);
        await page.locator('#otp-code').fill(totp.generate());
        await page.locator('#otp-submit').click();
        await page.locator('#enroll-done').waitFor();
        await check(page, page, 'enroll-done', lang);
        await page.goto(`${link.url}?lang=${lang}`);
        await check(page, page, 'enroll-used-link', lang);
        await page.goto(`${fx.baseUrl}/enroll/no-such-link?lang=${lang}`);
        await check(page, page, 'enroll-unknown-link', lang);
      });
    });

    it(`Sign dialog (${lang}): no files, open, wrong code, signed`, async () => {
      const signer = signers[lang];
      const open = async (page: Page, dealId: number) => {
        await page.goto(fx.emulator.placementLauncherUrl(portal, 'CRM_DEAL_DETAIL_TOOLBAR', signer.userId, { dealId }));
        const frame = page.frameLocator('#app-frame');
        await frame.locator('#sign-form').waitFor({ timeout: 20_000 });
        const inner = await (await page.$('#app-frame'))!.contentFrame();
        assert.ok(inner);
        assert.equal(await inner.locator('html').getAttribute('lang'), lang);
        return { frame, inner };
      };
      const empty = portal.createDeal({ title: `Empty ${lang}`, files: {} });
      await withPage(async (page) => {
        const { inner } = await open(page, empty.id);
        await inner.locator('#no-files').waitFor();
        await check(page, inner, 'sign-dialog-no-files', lang);
      });
      const deal = portal.createDeal({
        title: `Contract ${lang}`,
        files: { [PDF_FIELD]: [{ name: `contract-${lang}.pdf`, bytes: await makePdf(`Contract ${lang}`, 2) }] },
      });
      await withPage(async (page) => {
        const { frame, inner } = await open(page, deal.id);
        await check(page, inner, 'sign-dialog-open', lang);
        await frame.locator('#sign-otp').fill(signer.wrongCode());
        await frame.locator('#sign-submit').click();
        await frame.locator('#sign-error').waitFor({ timeout: 15_000 });
        await check(page, inner, 'sign-dialog-wrong-code', lang);
        await frame.locator('#sign-otp').fill(signer.code());
        await frame.locator('#sign-submit').click();
        await frame.locator('#sign-success').waitFor({ timeout: 60_000 });
        await check(page, inner, 'sign-dialog-signed', lang);
      });
      const signed = portal.getDeal(deal.id)!.files[PDF_FIELD]![0]!;
      signedPdfs[lang] = path.join(fx.dir, `signed-${lang}.pdf`);
      fs.writeFileSync(signedPdfs[lang], signed.bytes);
    });

    it(`approval page (${lang}): open, wrong code, waiting list, decided, bad link`, async () => {
      const approver = approvers[lang];
      const [first] = await Promise.all([
        waitingStep(fx, portal, approver.userId, `Supply ${lang} 1`, 2),
        waitingStep(fx, portal, approver.userId, `Supply ${lang} 2`, 1),
      ]);
      await withPage(async (page) => {
        await page.goto(`${first!.link}?lang=${lang}`);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        await page.locator('#approval-preview img').first().waitFor();
        await check(page, page, 'approval-open', lang);
        await page.locator('#approve-otp').fill(approver.wrongCode());
        await page.locator('#approve-submit').click();
        await page.locator('#approval-error').waitFor();
        await check(page, page, 'approval-wrong-code', lang);
        await page.goto(`${first!.link}/waiting?lang=${lang}`);
        await page.locator('#waiting-list').waitFor();
        await check(page, page, 'approval-waiting-list', lang);
        await page.goto(`${first!.link}?lang=${lang}`);
        await page.locator('#approve-otp').fill(approver.code());
        await page.locator('#approve-submit').click();
        // While signing, the page follows the request and reloads itself: check it once it is decided.
        await page.locator('#approval-outcome:not([data-status-url])').waitFor({ timeout: 90_000 });
        await check(page, page, 'approval-decided', lang);
        await page.goto(`${fx.baseUrl}/b24/approve/not-a-link?lang=${lang}`);
        await check(page, page, 'approval-bad-link', lang);
      });
    });

    it(`/verify (${lang}): empty, not a PDF, a signed PDF`, async () => {
      const notPdf = path.join(fx.dir, 'not-a-pdf.txt');
      fs.writeFileSync(notPdf, 'not a PDF');
      assert.ok(signedPdfs[lang], 'the Sign dialog test signed a PDF first');
      await withPage(async (page) => {
        await page.goto(`${fx.baseUrl}/verify?lang=${lang}`);
        assert.equal(await page.locator('html').getAttribute('lang'), lang);
        await check(page, page, 'verify-empty', lang);
        await page.locator('#verify-file').setInputFiles(notPdf);
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
        await page.locator('#verify-error').waitFor();
        await check(page, page, 'verify-not-pdf', lang);
        await page.locator('#verify-file').setInputFiles(signedPdfs[lang]!);
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
        await page.locator('#summary-heading').waitFor();
        await check(page, page, 'verify-signed', lang);
      });
    });
  }

  it('visited every state page-states.ts gives this test', () => {
    const mine = Object.values({ ...HTML_PAGES, ...POSTED_PAGES })
      .filter((p) => p.visitedBy === AXE_TEST)
      .flatMap((p) => p.states);
    assert.deepEqual(
      mine.filter((s) => !visited.has(s)),
      [],
      'states listed for this test but not checked',
    );
  });
});
