/**
 * The public verification page in headless Chromium, on the real app (createApp) with the internal CA's
 * root and the test PKI's root (SIGNSERVICE_TRUST_ROOTS, for the TSA) as trusted roots: our B-LTA file, a three-signer chain, a tampered file (one changed byte: "not
 * intact", and which signature), a signature from a root the service does not trust, and a file that is no
 * PDF. Times in the browser's time zone, named; Russian and English; usable at 375 px; axe-core finds no
 * serious or critical violation; the POST is refused without the page's CSRF token or from another origin.
 * Screenshots go to test/artifacts/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createApp } from '../../activity/app.js';
import { loadPemKey } from '../../shared/crypto/software-key.js';
import { signPdfFileAtLevel } from '../../shared/pdf/long-term/sign-at-level.js';
import { storeKeysFor } from '../../shared/store/create-store.js';
import { openEmbeddedStore } from '../../shared/store/embedded/embedded-store.js';
import type { Store } from '../../shared/store/store-ports.js';
import { type LaunchedChromium, launchChromium } from '../support/chromium.js';
import { getCorpus } from '../support/corpus.js';
import { type ServedCa, startServedCa } from '../support/internal-ca-server.js';
import { runTool } from '../support/run-tool.js';
import { type ServedApp, serveAppFor } from '../support/serve-app.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { startTestTsa, type TestTsa } from '../support/tsa-server.js';

const ARTIFACTS = path.resolve('test/artifacts');
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('verification page /verify (Chromium, axe-core)', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let ca: ServedCa;
  let tsa: TestTsa;
  let store: Store;
  let served: ServedApp;
  let chromium: LaunchedChromium;
  let dir: string;
  const files: Record<'blta' | 'chain' | 'tampered' | 'untrusted' | 'notPdf', string> = {} as never;

  before(async () => {
    const [p, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    pki = p;
    ca = await startServedCa(pki);
    tsa = await startTestTsa(pki);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-page-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const base = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    const at = (name: string) => path.join(dir, name);
    files.blta = at('contract-b-lta.pdf');
    const mary = await ca.issue('Мария Иванова', 'maria@acme.example');
    await signPdfFileAtLevel(
      base,
      files.blta,
      { key: ca.keyOf(mary), lang: 'ru', stampStyle: 'ru-esign' },
      { level: 'B-LTA', tsaUrl: tsa.url },
    );
    let current = base;
    for (const [i, name] of ['Alice Approver', 'Boris Buyer', 'Carol Chief'].entries()) {
      const next = at(`chain-${i + 1}.pdf`);
      const position = (['bottom-left', 'bottom-center', 'bottom-right'] as const)[i];
      await signPdfFileAtLevel(
        current,
        next,
        { key: ca.keyOf(await ca.issue(name)), position },
        { level: 'B-T', tsaUrl: tsa.url },
      );
      current = next;
    }
    files.chain = current;
    // One changed byte inside what the first signature covers (a digit in the page's content stream).
    const bytes = fs.readFileSync(files.chain);
    const signed1 = fs.readFileSync(at('chain-1.pdf')).length;
    const spot = bytes.subarray(0, signed1).indexOf('Times-Roman');
    bytes[spot] = 'X'.charCodeAt(0);
    files.tampered = at('tampered.pdf');
    fs.writeFileSync(files.tampered, bytes);
    // A signer under a root nobody configured: a self-signed certificate made here.
    // biome-ignore format: a command line reads best as one
    const made = await runTool('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at('eve.key'), '-out', at('eve.pem'), '-days', '30', '-subj', '/CN=Eve Outsider/O=Unknown Ltd']);
    assert.equal(made.exitCode, 0, made.stderr);
    files.untrusted = at('untrusted.pdf');
    const eve = loadPemKey(fs.readFileSync(at('eve.key')), fs.readFileSync(at('eve.pem')));
    await signPdfFileAtLevel(base, files.untrusted, { key: eve }, { level: 'B-B' });
    files.notPdf = at('notes.txt');
    fs.writeFileSync(files.notPdf, 'These are notes, not a PDF.\n');
    store = await openEmbeddedStore(path.join(dir, 'signservice.sqlite'), storeKeysFor(ca.masterKey));
    served = await serveAppFor((url) =>
      createApp({
        config: {
          publicBaseUrl: url,
          otp: { issuer: 'SignService', lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 },
          enrollmentLinkMinutes: 60,
          defaultLanguage: 'ru',
          dataDir: ca.dir,
          publication: {
            trustRootFiles: [pki.rootCertPath],
            verifyMaxBytes: 30 * 1024 * 1024,
            crlCheckIntervalMs: 3_600_000,
          },
        },
        store,
        masterKey: ca.masterKey,
      }),
    );
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
    await served?.close();
    await store?.close();
    await tsa?.close();
    await ca?.stop();
    ca?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(lang: 'en' | 'ru', width = 1024): Promise<Page> {
    const context = await chromium.browser.newContext({
      viewport: { width, height: 900 },
      timezoneId: 'Asia/Yekaterinburg',
      locale: lang === 'ru' ? 'ru-RU' : 'en-GB',
    });
    const page = await context.newPage();
    await page.goto(`${served.url}/verify`);
    return page;
  }

  async function check(page: Page, file: string): Promise<string> {
    await page.setInputFiles('input[type=file]', file);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    return page.innerText('main');
  }

  async function assertAccessible(page: Page, what: string): Promise<void> {
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const result = await (
        globalThis as unknown as {
          axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
        }
      ).axe.run();
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        nodes: (v.nodes as { target: unknown }[]).map((n) => n.target),
      }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${what}: ${JSON.stringify(violations)}`);
  }

  it('shows our B-LTA file: signer, times in the browser zone, certificate, level, stamp page (ru and en)', async () => {
    for (const lang of ['ru', 'en'] as const) {
      const page = await open(lang);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await assertAccessible(page, `${lang} form`);
      await page.screenshot({ path: path.join(ARTIFACTS, `verify-form-${lang}.png`), fullPage: true });
      const text = await check(page, files.blta);
      assert.match(text, /Мария Иванова/);
      assert.match(text, /ООО Акме/);
      assert.match(text, /maria@acme\.example/);
      assert.match(text, /Asia\/Yekaterinburg/);
      assert.match(text, /UTC\+5/);
      assert.match(
        text,
        lang === 'ru'
          ? /B-LTA: с данными проверки под архивной меткой времени/
          : /B-LTA: with validation data under an archive timestamp/,
      );
      assert.match(
        text,
        lang === 'ru' ? /Все подписи и метки времени \(2\) целы/ : /All 2 signatures and timestamps are intact/,
      );
      assert.match(text, lang === 'ru' ? /Метка времени документа 2/ : /Document timestamp 2/);
      assert.equal(await page.locator('.verify-stamp img').count(), 1);
      await assertAccessible(page, `${lang} B-LTA result`);
      await page.screenshot({ path: path.join(ARTIFACTS, `verify-b-lta-${lang}.png`), fullPage: true });
      await page.context().close();
    }
  });

  it('a three-signer chain: three intact signatures, later changes only more signatures', async () => {
    const page = await open('en');
    const text = await check(page, files.chain);
    assert.match(text, /All 3 signatures and timestamps are intact/);
    for (const name of ['Alice Approver', 'Boris Buyer', 'Carol Chief']) assert.match(text, new RegExp(name));
    assert.match(text, /only more signatures, form filling or validation data/);
    assert.match(text, /none: the signature covers the whole document/);
    assert.equal(await page.locator('.verify-card.verify-ok').count(), 3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-chain-en.png'), fullPage: true });
    await page.context().close();
  });

  it('a tampered file: the signatures covering the changed byte are "not intact", named in the summary', async () => {
    const page = await open('en');
    const text = await check(page, files.tampered);
    assert.match(
      text,
      /Not every signature holds: see Signature 1: Alice Approver; Signature 2: Boris Buyer; Signature 3: Carol Chief/,
    );
    assert.equal(await page.locator('.verify-card.verify-bad').count(), 3);
    assert.match(await page.innerText('#signature-1'), /NOT intact/);
    assert.match(await page.innerText('#signature-1'), /changed after signing/);
    await assertAccessible(page, 'tampered result');
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-tampered-en.png'), fullPage: true });
    await page.context().close();
  });

  it('a signature from a root the service does not trust: intact, not trusted', async () => {
    const page = await open('ru');
    const text = await check(page, files.untrusted);
    assert.match(text, /Цела, но сертификат не входит в доверенные/);
    assert.match(text, /Eve Outsider/);
    assert.equal(await page.locator('.verify-card.verify-warn').count(), 1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-untrusted-ru.png'), fullPage: true });
    await page.context().close();
  });

  it('a file that is no PDF: a clear message on the form', async () => {
    const page = await open('ru');
    await page.setInputFiles('input[type=file]', files.notPdf);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.equal(
      await page.innerText('#verify-error'),
      'Этот файл не является PDF. Выберите подписанный PDF-документ.',
    );
    await assertAccessible(page, 'not a PDF');
    await page.context().close();
  });

  it('is usable at 375 px (no horizontal scrolling) in both languages', async () => {
    for (const lang of ['en', 'ru'] as const) {
      const page = await open(lang, 375);
      await check(page, files.blta);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      assert.ok(overflow <= 0, `${lang}: ${overflow}px of horizontal scrolling at 375 px`);
      await assertAccessible(page, `${lang} at 375 px`);
      await page.screenshot({ path: path.join(ARTIFACTS, `verify-b-lta-${lang}-375.png`), fullPage: true });
      await page.context().close();
    }
  });

  it('refuses a POST from another origin (even with a valid token) or without the page token; stores nothing', async () => {
    const before = fs.readdirSync(ca.dir).sort();
    const load = async () => {
      const page = await fetch(`${served.url}/verify`);
      const cookie = page.headers.get('set-cookie') ?? '';
      assert.match(cookie, /; HttpOnly; SameSite=Strict; Max-Age=\d+$/, 'the page nonce is a strict cookie');
      return {
        cookie: cookie.split(';')[0]!,
        token: /name="csrf_token" value="([^"]+)"/.exec(await page.text())![1]!,
      };
    };
    const { cookie, token } = await load();
    const other = await load();
    assert.notEqual(other.token, token, 'each browser’s cookie gets its own token');
    const post = (csrf: string, headers: Record<string, string>) => {
      const form = new FormData();
      form.set('csrf_token', csrf);
      form.set('pdf', new Blob([new Uint8Array(fs.readFileSync(files.blta))], { type: 'application/pdf' }), 'x.pdf');
      return fetch(`${served.url}/verify`, { method: 'POST', body: form, headers });
    };
    assert.equal((await post(token, { Cookie: cookie, Origin: 'https://evil.example' })).status, 403);
    assert.equal((await post(token, { Cookie: cookie })).status, 403, 'no Origin at all');
    assert.equal((await post('forged', { Cookie: cookie, Origin: served.url })).status, 403);
    assert.equal((await post(token, { Origin: served.url })).status, 403, 'no cookie');
    assert.equal((await post(token, { Cookie: other.cookie, Origin: served.url })).status, 403, 'another cookie');
    const genuine = await post(token, { Cookie: cookie, Origin: served.url });
    assert.equal(genuine.status, 200);
    assert.match(await genuine.text(), /verify-card/);
    assert.deepEqual(fs.readdirSync(ca.dir).sort(), before);
  });
});
