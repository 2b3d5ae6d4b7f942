/**
 * End to end, as Mary (English) and Ivan (Russian) live it: the administrator creates the account and
 * e-mails the enrollment link (real SMTP server, mail parsed with mailparser); the link from the mail is
 * opened in headless Chromium against the Koa app on the real embedded store — first as a mail scanner
 * would (a plain GET: no key on the page, none made) — then the person presses "Show my key"; the QR code
 * is read back from the page (screenshot and data: URL, decoded with jsQR), an "authenticator" (otpauth)
 * computes the code from the decoded URI, it is typed and confirmed; opening the link again shows "already
 * used" without any secret. A page of another origin that form-POSTs to the link is refused. Finally no log
 * line, e-mail or later page contains the OTP secret or the master key.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as OTPAuth from 'otpauth';
import type { Page } from 'playwright-core';
import { createApp } from '../../activity/app.js';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { Language } from '../../shared/i18n/messages.js';
import { createLogger, type Logger } from '../../shared/logger.js';
import { createMailer } from '../../shared/mail/mailer.js';
import { loadTemplates } from '../../shared/mail/render-template.js';
import { sendEnrollmentMail } from '../../shared/mail/send-enrollment-mail.js';
import { createEnrollmentService } from '../../shared/otp/enrollment-service.js';
import { createTotpVerifier } from '../../shared/otp/verify-totp.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';
import { crossSitePage } from '../support/cross-site-page.js';
import { decodeQrDataUrl, decodeQrPng } from '../support/qr-decode.js';
import { type ServedApp, serveAppFor } from '../support/serve-app.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/artifacts');
const OTP = { issuer: 'ACME Sign', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 };

interface Enrolled {
  login: string;
  secretBase32: string;
  secretHex: string;
  /** Pages fetched after the enrollment completed. */
  laterPages: string[];
}

describe('OTP enrollment end to end (Chromium, SMTP, embedded store)', function () {
  this.timeout(120_000);
  let dir: string;
  let store: Store;
  let masterKeyBase64: string;
  let masterKey: MasterKey;
  let logs: string[];
  let logger: Logger;
  let sink: SmtpSink;
  let served: ServedApp;
  let chromium: LaunchedChromium;
  const enrolled: Enrolled[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-e2e-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const keyBytes = generateMasterKeyBytes();
    masterKeyBase64 = keyBytes.toString('base64');
    masterKey = MasterKey.fromBytes(keyBytes);
    store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), storeKeysFor(masterKey));
    logs = [];
    logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
    sink = await startSmtpSink();
    served = await serveAppFor((url) =>
      createApp({
        config: { publicBaseUrl: url, otp: OTP, enrollmentLinkMinutes: 60, defaultLanguage: 'ru' },
        store,
        masterKey,
        logger,
      }),
    );
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await served?.close();
    await sink?.close();
    await store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The administrator's part: account, link, e-mail; returns the link as received by mail. */
  async function adminSendsLink(login: string, email: string, language: Language): Promise<string> {
    const accounts = createAccountService({ store, logger });
    const account = await accounts.add({ login, email, description: `${login} (e2e)`, actor: { role: 'admin' } });
    const enrollment = createEnrollmentService({
      store,
      masterKey,
      issuer: OTP.issuer,
      publicBaseUrl: served.url,
      logger,
    });
    const link = await enrollment.createLink({ account });
    const mailer = createMailer(
      { kind: 'smtp', url: sink.url, from: 'SignService <signservice@acme.test>' },
      { logger },
    );
    const before = sink.messages.length;
    await sendEnrollmentMail({
      mailer,
      renderer: loadTemplates(),
      to: email,
      login,
      language,
      url: link.url,
      expiresAt: link.expiresAt,
      issuer: OTP.issuer,
    });
    mailer.close();
    const mail = (await sink.waitFor(before + 1))[before];
    assert.ok(mail);
    assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : '', email);
    const fromText = /(http:\/\/127\.0\.0\.1:\d+\/enroll\/[A-Za-z0-9_-]+\?lang=(?:en|ru))/.exec(mail.text ?? '')?.[1];
    assert.ok(fromText, `the text part holds the link:\n${mail.text}`);
    // The HTML twin's button points at the same link.
    const href = /href="([^"]+\/enroll\/[^"]+)"/.exec(String(mail.html))?.[1]?.replace(/&#x3D;/g, '=');
    assert.equal(href, fromText);
    assert.equal(new URL(fromText).searchParams.get('lang'), language);
    if (language === 'ru') assert.match(mail.subject ?? '', /Подключите одноразовые коды/);
    else assert.match(mail.subject ?? '', /Set up one-time codes/);
    return fromText;
  }

  /** Reads the QR code from the page twice: the <img>'s data: URL, and a screenshot of it. */
  async function scanQr(page: Page, name: string): Promise<string> {
    const img = page.locator('#otp-qr');
    const src = await img.getAttribute('src');
    assert.ok(src);
    const shot = await img.screenshot({ path: path.join(ARTIFACTS, `enroll-qr-${name}.png`) });
    const fromScreenshot = decodeQrPng(shot);
    assert.equal(fromScreenshot, decodeQrDataUrl(src));
    return fromScreenshot;
  }

  async function personEnrolls(login: string, link: string, language: Language): Promise<void> {
    const context = await chromium.browser.newContext({ locale: language === 'ru' ? 'ru-RU' : 'en-US' });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    try {
      const first = await page.goto(link);
      assert.equal(first?.status(), 200);
      assert.equal(await page.locator('html').getAttribute('lang'), language);
      // What a mail scanner gets: no key on the page, and none made.
      assert.equal(await page.locator('#otp-qr').count(), 0);
      assert.ok(!(await page.content()).includes('otpauth'));
      const stored = await store.accounts.getByLogin(login);
      assert.equal(stored?.otp, undefined);
      await Promise.all([page.waitForURL(/\/key\?lang=/), page.locator('#enroll-reveal').click()]);
      const uri = await scanQr(page, login);
      const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
      assert.equal(totp.issuer, OTP.issuer);
      assert.equal(totp.label, login);
      const manual = (await page.locator('#otp-key').textContent())?.replace(/\s/g, '');
      assert.equal(manual, totp.secret.base32, 'the key for manual entry is the same secret');
      await page.screenshot({ path: path.join(ARTIFACTS, `enroll-page-${login}.png`), fullPage: true });

      await page.locator('#otp-code').fill(totp.generate());
      await Promise.all([page.waitForURL(link), page.locator('#otp-submit').click()]);
      await page.locator('#enroll-done').waitFor();
      assert.match((await page.locator('#enroll-done').textContent()) ?? '', new RegExp(login));
      const donePage = await page.content();
      await page.screenshot({ path: path.join(ARTIFACTS, `enroll-done-${login}.png`) });

      const again = await page.goto(link);
      assert.equal(again?.status(), 410);
      const usedPage = await page.content();
      const usedTitle = language === 'ru' ? 'Ссылка уже использована' : 'This link was used already';
      assert.equal(await page.locator('h1').textContent(), usedTitle);
      assert.equal(await page.locator('img').count(), 0, 'no QR code any more');
      assert.equal(await page.locator('form').count(), 0);
      for (const html of [donePage, usedPage]) {
        assert.ok(!html.includes('otpauth://') && !html.includes('data:image'));
      }
      assert.deepEqual(cspErrors, [], 'the page runs within its content security policy');
      enrolled.push({
        login,
        secretBase32: totp.secret.base32,
        secretHex: Buffer.from(totp.secret.bytes).toString('hex'),
        laterPages: [donePage, usedPage],
      });

      // The enrolled secret is the account's: the authenticator's next code verifies for signing.
      const account = await store.accounts.getByLogin(login);
      assert.ok(account?.otp);
      const later = new Date(Date.now() + 60_000);
      const verifier = createTotpVerifier({ store, masterKey, settings: OTP, now: () => later, logger });
      await verifier.verify({ account, code: totp.generate({ timestamp: later.getTime() }) });
    } finally {
      await context.close();
    }
  }

  it('Mary enrolls in English from the e-mailed link', async () => {
    const link = await adminSendsLink('mary.smith', 'mary@acme.test', 'en');
    await personEnrolls('mary.smith', link, 'en');
  });

  it('Ivan enrolls in Russian from the e-mailed link', async () => {
    const link = await adminSendsLink('ivan', 'ivan@acme.test', 'ru');
    await personEnrolls('ivan', link, 'ru');
  });

  it('attack: a page of another origin form-POSTs to the link (with a scraped CSRF token) and is refused', async () => {
    const link = await adminSendsLink('olga', 'olga@acme.test', 'en');
    const base = link.replace(/\?.*$/, '');
    // The attacker fetched the page server-side and copied its token; the victim's browser does the POST.
    const scraped = /name="csrf_token" value="([^"]+)"/.exec(await (await fetch(link)).text())?.[1] ?? '';
    assert.ok(scraped);
    const evil = await crossSitePage(
      `<form method="post" action="${base}/key"><input type="hidden" name="csrf_token" value="${scraped}">` +
        `<button id="go">Win a prize</button></form>`,
    );
    const page = await chromium.browser.newPage();
    try {
      await page.goto(evil.url);
      const [response] = await Promise.all([page.waitForNavigation(), page.locator('#go').click()]);
      assert.equal(response?.status(), 403);
      assert.equal(await page.locator('#otp-qr').count(), 0);
      assert.match(await page.content(), /CSRF_REJECTED/);
    } finally {
      await page.close();
      await evil.close();
    }
    const account = await store.accounts.getByLogin('olga');
    const enrolledEntries = [];
    for await (const e of store.signLog.list()) if (e.action === 'enrolled') enrolledEntries.push(e);
    assert.ok(account && !account.otp && enrolledEntries.every((e) => e.actor.login !== 'olga'));
  });

  it('no log line, e-mail or later page contains an OTP secret or the master key', async () => {
    assert.equal(enrolled.length, 2, 'both enrollments ran');
    assert.ok(logs.length >= 6, 'the logger was used');
    const signLog: string[] = [];
    for await (const entry of store.signLog.list()) signLog.push(JSON.stringify(entry));
    const haystacks: [string, string][] = [
      ...logs.map((l, i): [string, string] => [`log line ${i + 1}`, l]),
      ...sink.raw.map((m, i): [string, string] => [`raw e-mail ${i + 1}`, m.toString('utf8')]),
      ...sink.messages.map((m, i): [string, string] => [
        `decoded e-mail ${i + 1}`,
        `${m.subject}\n${m.text}\n${m.html}`,
      ]),
      ...enrolled.flatMap((e) =>
        e.laterPages.map((p, i): [string, string] => [`${e.login} page ${i + 1} after enrollment`, p]),
      ),
      ...signLog.map((l, i): [string, string] => [`sign log entry ${i + 1}`, l]),
    ];
    const needles: [string, string][] = [['master key (base64)', masterKeyBase64]];
    for (const e of enrolled) {
      needles.push([`${e.login}'s secret (base32)`, e.secretBase32]);
      needles.push([`${e.login}'s secret (hex)`, e.secretHex]);
      needles.push([`${e.login}'s secret (HEX)`, e.secretHex.toUpperCase()]);
    }
    for (const [where, text] of haystacks) {
      for (const [what, needle] of needles) assert.ok(!text.includes(needle), `${where} contains the ${what}`);
    }
    // At rest, too: the store file holds neither the secret's base32 nor its raw bytes.
    for (const file of fs.readdirSync(dir)) {
      const bytes = fs.readFileSync(path.join(dir, file));
      for (const e of enrolled) {
        assert.ok(
          !bytes.includes(e.secretBase32) && !bytes.includes(Buffer.from(e.secretHex, 'hex')),
          `${file} holds a secret`,
        );
      }
    }
  });
});
