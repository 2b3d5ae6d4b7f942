/**
 * The administrator's story in the standalone panel, in headless Chromium, driven by accessible names:
 * first sign-in with the TOTP set-up (QR code and key), create the internal CA, create Mary, send her
 * enrollment link (the mail arrives at the SMTP server), Mary enrolls from the mail, issue and grant her a
 * certificate, and the Sign log page shows the administrator's changes with the chain intact. Every page
 * is checked with axe-core (WCAG 2.1 AA) and photographed in English, Russian and at 375 px.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { ARTIFACTS } from '../b24ui/b24ui-fixture.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';
import { AdminFixture } from './admin-fixture.js';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') stays as it is.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: { run(o: unknown): Promise<{ violations: { id: string; nodes: unknown[] }[] }> };
    };
    const r = await w.axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
  assert.deepEqual(violations, [], `axe on ${name}`);
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `panel-${name}.png`), fullPage: true });
}

describe('control panel in Chromium: the administrator’s story', function () {
  this.timeout(180_000);
  const fx = new AdminFixture();
  let chromium: LaunchedChromium;
  let page: Page;

  before(async () => {
    await fx.start();
    await fx.panel.api.deps.operators.add({ login: 'olga', password: 'correct horse battery staple' });
    chromium = await launchChromium();
    page = await chromium.browser.newPage({ viewport: { width: 1100, height: 900 } });
  });
  after(async () => {
    await chromium?.close();
    await fx.stop();
  });

  it('signs in, sets up TOTP, creates the CA and Mary, mails the link, Mary enrolls, grants, sign log intact', async () => {
    await page.goto(`${fx.url}/admin?lang=en`);
    await page.getByLabel('Login').fill('olga');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await axe(page, 'sign-in');
    await shoot(page, 'sign-in-en');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#setup-qr').waitFor();
    const key = ((await page.locator('#setup-key').textContent()) ?? '').replace(/\s/g, '');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(key) });
    await axe(page, 'totp set-up');
    await page.getByLabel('One-time code').fill(totp.generate());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();

    await page.getByRole('link', { name: 'Certificates' }).click();
    await page.getByLabel('Common name').fill('Acme Internal CA');
    await page.getByLabel('Organization').fill('Acme');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('link', { name: 'Download root certificate' }).waitFor();

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'New account' }).click();
    await page.getByLabel('Login').fill('mary');
    await page.getByLabel('Description').fill('Mary Ivanova, accounting');
    await page.getByLabel('E-mail').fill('mary@acme.test');
    await page.getByLabel('Language').selectOption('en');
    await page.getByLabel('Disable OTP').check();
    assert.equal(await page.locator('#otp-warning').isVisible(), true, 'the warning shows');
    await page.getByLabel('Disable OTP').uncheck();
    await axe(page, 'new account');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'mary' }).waitFor();
    await page.getByRole('button', { name: 'Send enrollment link' }).click();
    const [mail] = await fx.sink.waitFor(1);
    const path = /http:\/\/127\.0\.0\.1(?::\d+)?(\/enroll\/[A-Za-z0-9_-]+\?lang=en)/.exec(mail?.text ?? '')?.[1];
    assert.ok(path, `the e-mail holds the link: ${mail?.text}`);
    // PUBLIC_BASE_URL of the fixture has no port; the app listens on a random one.
    const link = `${fx.url}${path}`;

    const mary = await chromium.browser.newPage();
    await mary.goto(link);
    // The key is made only when Mary asks for it on the page.
    await mary.locator('#enroll-reveal').click();
    const uri = ((await mary.locator('#otp-key').textContent()) ?? '').replace(/\s/g, '');
    const marysApp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(uri) });
    await mary.locator('#otp-code').fill(marysApp.generate());
    await mary.locator('#otp-submit').click();
    await mary.getByText('Your authenticator is set up').waitFor();
    await mary.close();

    await page.getByRole('link', { name: 'Certificates' }).click();
    await page.getByLabel('Common name').fill('Mary Ivanova');
    await page.getByLabel('Organization').fill('Acme');
    await page.getByLabel('E-mail').fill('mary@acme.test');
    await page.getByRole('button', { name: 'Issue' }).click();
    await page
      .getByRole('cell', { name: /Mary Ivanova/ })
      .first()
      .waitFor();
    await axe(page, 'certificates');
    await shoot(page, 'certificates-en');

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'mary' }).click();
    await page.getByLabel('Certificate', { exact: true }).selectOption({ index: 0 });
    await page.getByRole('button', { name: 'Grant' }).click();
    await page.getByRole('button', { name: 'Take away' }).waitFor();
    assert.match((await page.locator('.facts').textContent()) ?? '', /enrolled/);
    await axe(page, 'account');
    await shoot(page, 'account-en');

    await page.getByRole('link', { name: 'Sign log' }).click();
    await page.locator('#chain-status').waitFor();
    assert.match((await page.locator('#chain-status').textContent()) ?? '', /Chain intact: \d+ entries/);
    const log = (await page.locator('table').textContent()) ?? '';
    for (const action of [
      'ca_created',
      'account_created',
      'link_created',
      'enrolled',
      'certificate_issued',
      'granted',
    ]) {
      assert.match(log, new RegExp(action), `the sign log shows ${action}`);
    }
    assert.match(log, /olga · operator/, 'changes name the administrator');
    await page.getByRole('button', { name: 'Export CSV' }).waitFor();
    await axe(page, 'sign log');
    await shoot(page, 'sign-log-en');
  });

  it('every page in Russian and at 375 px, each passing axe', async () => {
    for (const route of ['accounts', 'certificates', 'sign-log', 'requests', 'tokens', 'portals']) {
      await page.setViewportSize({ width: 1100, height: 900 });
      // A new query string: a hash change alone would keep the page (and its language).
      await page.goto(`${fx.url}/admin?lang=en&page=${route}#/${route}`);
      await page.locator('main h1').waitFor();
      await shoot(page, `${route}-en`);
      await page.getByRole('button', { name: 'Русский' }).click();
      await page.locator('html[lang="ru"]').waitFor();
      await page.locator('main h1').waitFor();
      await axe(page, `${route} (ru)`);
      await shoot(page, `${route}-ru`);
      await page.setViewportSize({ width: 375, height: 800 });
      await axe(page, `${route} (375 px)`);
      await shoot(page, `${route}-375`);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 1, `${route} fits 375 px (overflow ${overflow})`);
    }
  });
});
