/**
 * Mary's whole story from the standalone panel, in headless Chromium against the service as a child
 * process (portal emulator, RabbitMQ, SMTP server), driven by accessible names: the operator the CLI
 * created signs in for the first time (QR code and key, first code), creates the internal CA and downloads
 * its root, creates Mary's account linked to her Bitrix24 user, sends her enrollment link (the mail arrives
 * at the SMTP server), Mary enrolls from the mail, the operator issues and grants her a certificate, Mary
 * signs a deal's PDF in the Sign dialog (pdfsig: valid, trusted through the downloaded root), and the Sign
 * log page shows her signature and the operator's changes with the chain intact; the Requests page shows
 * her request done, and a job the worker parked (RabbitMQ) under "Parked jobs" with its reason. Every page is checked with axe-core (WCAG 2.1 AA) and photographed in English,
 * Russian and at 375 px.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { tokenRoute } from '../../shared/signing/sign-route.js';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { ARTIFACTS, B24UiFixture } from '../b24ui/b24ui-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import { waitFor } from '../queue/support/wait-for.js';
import type { PortalHandle, PortalUser } from '../support/bitrix24-emulator/index.js';
import { runCli } from '../support/cli.js';
import { runTool } from '../support/run-tool.js';
import { assertAllValidAndTrusted } from '../support/verifiers.js';
import {
  type Authenticator,
  axe,
  enrollFromLink,
  enrollmentLinkIn,
  firstSignIn,
  nextCode,
  PANEL_ROUTES,
  settle,
  shoot,
  tourPages,
} from './panel-browser.js';

const PASSWORD = 'correct horse battery staple';

describe('control panel in Chromium: Mary’s story from the panel to her signature', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;
  let maryUser: PortalUser;
  let page: Page;

  before(async () => {
    await fx.startUi();
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    portal.addFileField(PDF_FIELD, { multiple: false, label: 'Contract' });
    maryUser = portal.createUser({ name: 'Mary', lastName: 'Ivanova', email: 'mary@acme.test', language: 'en' });
    const passwordFile = path.join(fx.dir, 'olga.password');
    fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const added = await runCli(['admin', 'add', 'olga', '--password-file', passwordFile], fx.env);
    assert.equal(added.code, 0, `signservice admin add: ${added.stderr}`);
    page = await fx.chromium.browser.newPage({ viewport: { width: 1100, height: 900 } });
  });
  after(async () => {
    await fx.stopUi();
  });

  /** Mary enrolls from the link in her mail; returns her authenticator. */
  async function enrollFromMail(): Promise<Authenticator> {
    const [mail] = await fx.sink.waitFor(1);
    const link = enrollmentLinkIn(mail?.text, fx.baseUrl);
    const mary = await fx.chromium.browser.newPage();
    try {
      return await enrollFromLink(mary, link);
    } finally {
      await mary.close();
    }
  }

  /** The root certificate through the panel's link, trusted in the NSS database pdfsig reads. */
  async function trustDownloadedRoot(): Promise<void> {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download root certificate' }).click(),
    ]);
    const file = path.join(fx.dir, 'panel-root.pem');
    await download.saveAs(file);
    assert.match(fs.readFileSync(file, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    const nss = `sql:${fx.token.nssDir}`;
    const added = await runTool('certutil', ['-A', '-d', nss, '-n', 'Acme Internal CA', '-t', 'CT,C,C', '-i', file]);
    assert.equal(added.exitCode, 0, added.stderr);
  }

  async function createMarysAccount(): Promise<void> {
    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'New account' }).click();
    await settle(page, page.getByRole('heading', { name: 'New account' }));
    await page.getByLabel('Login').fill('mary');
    await page.getByLabel('Description').fill('Mary Ivanova, accounting');
    await page.getByLabel('E-mail').fill('mary@acme.test');
    await page.getByLabel('Language').selectOption('en');
    await page.getByLabel('Portal').selectOption({ label: portal.domain });
    await page.getByLabel('Find a Bitrix24 user').fill('Mary');
    await page.getByRole('button', { name: 'Find' }).click();
    const user = page.getByLabel('Bitrix24 user', { exact: true });
    await settle(page, user.locator('option', { hasText: 'Ivanova' }), { state: 'attached' });
    assert.equal(await user.inputValue(), String(maryUser.id));
    await page.getByLabel('Disable OTP').check();
    assert.equal(await page.locator('#otp-warning').isVisible(), true, 'the warning shows');
    await page.getByLabel('Disable OTP').uncheck();
    await axe(page, 'new account');
    await shoot(page, 'new-account-en');
    await page.getByRole('button', { name: 'Create account' }).click();
    await settle(page, page.getByRole('heading', { name: 'mary' }));
    assert.equal(await page.locator('#bitrix-user').textContent(), `#${maryUser.id}`);
  }

  /** Mary opens the deal card's Sign item and signs its PDF with the certificate the operator granted. */
  async function marySigns(dealId: number, app: Authenticator): Promise<void> {
    const card = await fx.chromium.browser.newPage({ viewport: { width: 900, height: 1000 } });
    try {
      await card.goto(fx.emulator.placementLauncherUrl(portal, 'CRM_DEAL_DETAIL_TOOLBAR', maryUser.id, { dealId }));
      const frame = card.frameLocator('#app-frame');
      await frame.locator('#sign-form').waitFor({ timeout: 30_000 });
      const option = frame.locator('#sign-cert option', { hasText: 'Mary Ivanova' });
      await frame.locator('#sign-cert').selectOption((await option.getAttribute('value')) ?? '');
      await frame.locator('#sign-otp').fill(nextCode(app));
      await frame.locator('#sign-submit').click();
      const done = frame.locator('#sign-success').or(frame.locator('#sign-error'));
      await done.first().waitFor({ timeout: 90_000 });
      assert.match((await done.first().textContent()) ?? '', /Signed/, 'the dialog reports the signature');
      await card.screenshot({ path: path.join(ARTIFACTS, 'panel-story-sign-dialog.png'), fullPage: true });
    } finally {
      await card.close();
    }
  }

  it('operator sets up, Mary enrolls from the mail and signs in the Sign dialog, the log shows it all', async () => {
    await firstSignIn(page, fx.baseUrl, 'olga', PASSWORD);

    await page.getByRole('link', { name: 'Certificates' }).click();
    await page.getByLabel('Common name').fill('Acme Internal CA');
    await page.getByLabel('Organization').fill('Acme');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await settle(page, page.getByRole('link', { name: 'Download root certificate' }));
    await trustDownloadedRoot();

    await createMarysAccount();
    await page.getByRole('button', { name: 'Send enrollment link' }).click();
    await settle(page, page.getByText(/was e-mailed to mary@acme\.test/));
    const mary = await enrollFromMail();

    await page.getByRole('link', { name: 'Certificates' }).click();
    await settle(page, page.getByRole('heading', { name: 'Issue certificate' }));
    await page.getByLabel('Common name').fill('Mary Ivanova');
    await page.getByLabel('Organization').fill('Acme');
    await page.getByLabel('E-mail').fill('mary@acme.test');
    await page.getByRole('button', { name: 'Issue' }).click();
    await settle(page, page.getByRole('cell', { name: /Mary Ivanova/ }).first());
    await axe(page, 'certificates');
    await shoot(page, 'certificates-en');

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('link', { name: 'mary' }).click();
    await settle(page, page.getByLabel('Certificate', { exact: true }));
    // The token's certificates are offered too: pick the one just issued for Mary.
    const certificate = page.getByLabel('Certificate', { exact: true });
    const issued = certificate.locator('option', { hasText: 'Mary Ivanova' });
    await certificate.selectOption((await issued.getAttribute('value')) ?? '');
    await page.getByRole('button', { name: 'Grant' }).click();
    await settle(page, page.getByRole('button', { name: 'Take away' }));
    assert.match((await page.locator('.facts').textContent()) ?? '', /enrolled/);
    await axe(page, 'account');
    await shoot(page, 'account-en');

    const dealId = portal.createDeal({
      title: 'Supply contract',
      files: { [PDF_FIELD]: [{ name: 'contract.pdf', bytes: await makePdf('Supply contract', 2) }] },
    }).id;
    await marySigns(dealId, mary);
    const { report } = await fx.pdfsigOfDeal(portal, dealId);
    assertAllValidAndTrusted(report, 1);
    assert.match(portal.timeline(dealId)[0]?.comment ?? '', /Mary Ivanova/);

    await page.getByRole('link', { name: 'Sign log' }).click();
    await settle(page, page.locator('#chain-status'));
    assert.match(
      (await page.locator('#chain-status').textContent()) ?? '',
      /^Chain intact: \d+ entries; last checkpoint: /,
    );
    // Time | Action | By | Account | Certificate | Deal | Outcome
    const rows = await page
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' | ')));
    const signed = rows.find((r) => r.includes(' | Signed | mary · signer | mary | '));
    assert.ok(signed, `the sign log shows Mary's signature:\n${rows.join('\n')}`);
    assert.match(signed, /Mary Ivanova/, 'with the certificate');
    assert.ok(signed.endsWith(` | ${dealId} | ok`), `and the deal: ${signed}`);
    const log = rows.join('\n');
    for (const action of [
      'Internal CA created',
      'Account created',
      'Enrollment link made',
      'Certificate issued',
      'Certificate granted',
    ]) {
      assert.ok(log.includes(`| ${action} | olga · operator |`), `"${action}" names olga:\n${log}`);
    }
    assert.ok(log.includes('| Authenticator set up | mary | mary |'), 'Mary enrolled herself');
    await page.getByRole('button', { name: 'Export CSV' }).waitFor();
    await axe(page, 'sign log');
    await shoot(page, 'sign-log-en');

    await page.getByRole('link', { name: 'Requests' }).click();
    await settle(page, page.getByRole('heading', { name: 'Requests' }));
    assert.match((await page.locator('tbody').textContent()) ?? '', /mary.*completed/s);

    // A job no worker can do (its request does not exist) is parked; the Requests page lists it with the reason.
    const route = tokenRoute(fx.token.label);
    const poison = { type: 'sign-request', version: 1, requestId: 'no-such-request', route };
    await fx.queue.publish(route, poison, { messageId: 'poison-for-the-panel' });
    await waitFor('the poison parked', async () => (await fx.queue.depth(route)).parked === 1, 30_000);
    await page.reload();
    const parked = page.getByRole('region', { name: 'Parked jobs' });
    await settle(page, parked);
    assert.match((await parked.locator('tbody').textContent()) ?? '', /No sign request with id no-such-request/);
  });

  it('every page in English, Russian and at 375 px, each passing axe, the sign-in page too', async () => {
    const signedOut = await fx.chromium.browser.newPage({ viewport: { width: 375, height: 800 } });
    try {
      await signedOut.goto(`${fx.baseUrl}/admin?lang=ru`);
      await signedOut.getByRole('button', { name: 'Войти' }).waitFor();
      await axe(signedOut, 'sign-in (ru, 375 px)');
      await shoot(signedOut, 'sign-in-375');
    } finally {
      await signedOut.close();
    }
    const mary = (await fx.store.accounts.list()).find((x) => x.login === 'mary');
    assert.ok(mary);
    await tourPages(page, {
      prefix: '',
      pages: [
        ...PANEL_ROUTES,
        { route: 'accounts/new', name: 'new-account' },
        { route: `accounts/${mary.id}`, name: 'account' },
      ],
      open: async (route) => {
        // A new query string: a hash change alone would keep the page (and its language).
        await page.goto(`${fx.baseUrl}/admin?lang=en&page=${route}#/${route}`);
      },
    });
  });
});
