/**
 * Every signer sees their own time: two Bitrix24 users, one in Europe/Moscow (Russian) and one in
 * Asia/Vladivostok (English), each gets a robot step on the emulated portal and approves it with a one-time
 * code on the approval page, then signs another deal from the Sign dialog; the service itself runs in UTC.
 * The zone Bitrix24 gives (`user.get` / `user.current` TIME_ZONE) is fixed on the request; the workflow log
 * line, the im.notify notice and the approval page show the deadline in that zone, named (date-time.ts), the
 * dialog its certificate's end; the stamp in the signed PDF on the deal — read back as MuPDF draws it — shows
 * the signing time with +03:00 and +10:00.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDateTime } from '../../shared/i18n/date-time.js';
import { approvalLinkExpiry } from '../../shared/sign-requests/approval-link.js';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { runTool } from '../support/run-tool.js';
import { assertAllValidAndTrusted } from '../support/verifiers.js';
import { openPage, postForm, waitingStep } from './approval-calls.js';
import { B24UiFixture, type UiSigner } from './b24ui-fixture.js';

/** Waits (generously) until `find` returns something. */
async function eventually<T>(what: string, find: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const htmlText = (html: string) =>
  html
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=');

describe('Signer time zones: pages, notices and the stamp in the Bitrix24 user’s zone', function () {
  this.timeout(240_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;

  before(async () => {
    await fx.startUi({ TZ: 'UTC' }, { browser: false });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
  });
  after(() => fx.stopUi());

  /** The stamp's text of the deal's signed PDF (first page) as MuPDF draws it, its signature checked. */
  async function stampText(dealId: number, name: string): Promise<string> {
    const { file, report } = await fx.pdfsigOfDeal(portal, dealId);
    assertAllValidAndTrusted(report, 1);
    const out = path.join(fx.dir, `tz-${name}.pdf`);
    fs.writeFileSync(out, file.bytes);
    return (await runTool('mutool', ['draw', '-F', 'txt', '-o', '-', out, '1'])).stdout.replace(/\s+/g, ' ');
  }

  /** The stamp's language is the service's (DEFAULT_LANGUAGE): "06.12.2026, 17:33 +03:00" or "6 Dec 2026, 17:33 +03:00". */
  const stampTime = (offset: string) =>
    new RegExp(`(\\d\\d\\.\\d\\d\\.\\d{4}|\\d{1,2} \\S+ \\d{4}), \\d\\d:\\d\\d \\${offset}`);

  for (const [login, zone, language, offset] of [
    ['olga', 'Europe/Moscow', 'ru', '+03:00'],
    ['ivan', 'Asia/Vladivostok', 'en', '+10:00'],
  ] as const) {
    let signer: UiSigner;
    /** The 30-s step in which the approval used a code: the dialog's code must come from a later one. */
    let approvedStep = 0;

    it(`${login} in ${zone}: robot step and approval page in ${zone} times, the stamp shows ${offset}`, async () => {
      signer = await fx.uiSigner(portal, login, { timeZone: zone, accountLanguage: language, language });
      const step = await waitingStep(fx, portal, signer.userId, `Contract ${login}`, 1);
      assert.equal(step.request.timeZone, zone, 'the zone Bitrix24 gives is fixed on the request');
      const deadline = step.request.deadline as Date;

      // The workflow log line (in the service's default language) names the deadline in the signer's zone.
      const logLine = await eventually('the waiting line in the workflow log', () =>
        portal
          .activityLogs()
          .find((l) => l.workflowId === step.request.robot?.workflowId && /ждёт подписи|waiting for/.test(l.message)),
      );
      const inLog = (['ru', 'en'] as const).map((l) => formatDateTime(deadline, l, zone));
      assert.ok(
        inLog.some((text) => logLine.message.includes(text)),
        `${logLine.message} shows one of ${inLog.join(' | ')}`,
      );

      // The im.notify notice in the signer's language and zone.
      const notice = await eventually('the request notice', () =>
        portal.notifications().find((n) => n.tag === `signservice|${step.requestId}|requested`),
      );
      assert.equal(notice.toUserId, signer.userId);
      const noticeTime = formatDateTime(approvalLinkExpiry(step.request), language, zone);
      assert.ok(notice.message.includes(noticeTime), `${notice.message} shows ${noticeTime}`);
      assert.match(noticeTime, language === 'ru' ? /\(Москва, UTC\+3\)$/ : /\(Vladivostok Time, UTC\+10\)$/);

      // The approval page in the signer's zone (in the page's language).
      const page = await openPage(`${step.link}?lang=${language}`);
      assert.equal(page.status, 200);
      // The account has no description: the page names the signer by their Bitrix24 name, not the login.
      const name = `${login[0]!.toUpperCase()}${login.slice(1)} Tester`;
      assert.ok(htmlText(page.html).includes(language === 'ru' ? `Подписант: ${name}.` : `Signer: ${name}.`));
      const pageTime = formatDateTime(deadline, language, zone);
      assert.ok(htmlText(page.html).includes(pageTime), `the page shows the deadline as ${pageTime}`);
      assert.ok(!htmlText(page.html).includes('(UTC)'), 'no time on the page is in the service’s UTC');

      // Approve; the stamp on the signed PDF shows the signer's offset.
      approvedStep = Math.floor(Date.now() / 30_000);
      const approved = await postForm(step.link, 'approve', {
        csrf_token: page.csrf,
        cert: page.cert,
        otp: signer.code(),
      });
      assert.equal(approved.status, 303, await approved.text());
      const done = await fx.waitFor(step.requestId, (r) => r.state === 'completed');
      assert.equal(done.steps.sign?.data.timeZone, zone);
      assert.match(await stampText(step.dealId, `${login}-robot`), stampTime(offset));
    });

    it(`${login} in ${zone}: the Sign dialog in ${zone} times, the stamp shows ${offset}`, async () => {
      const title = `Dialog ${login}`;
      const dealId = fx.deal(portal, title, await makePdf(title, 1));
      const opened = await fx.emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', signer.userId, { dealId });
      const html = htmlText(opened.response.body);
      assert.equal(opened.response.status, 200, html.slice(0, 500));
      // The certificate list shows its end of validity in the signer's zone.
      const notAfter = new Date(new X509Certificate(fx.token.identities[0]!.certDer).validTo);
      const shown = formatDateTime(notAfter, language, zone);
      assert.ok(html.includes(shown), `the certificate's end shown as ${shown}`);
      assert.ok(!html.includes('(UTC)'), 'no time in the dialog is in the service’s UTC');
      const session = /data-session="([^"]+)"/.exec(html)?.[1] ?? '';
      const csrf = /data-csrf="([^"]+)"/.exec(html)?.[1] ?? '';
      const fileId = /name="file" value="UF_CRM_[A-Z0-9_]+:(\d+)"/.exec(html)?.[1] ?? '';
      // One code per 30-s step (the replay guard): wait for the step after the approval's.
      while (Math.floor(Date.now() / 30_000) <= approvedStep) await sleep(250);
      const signed = await fetch(`${fx.baseUrl}/b24/dialog/sign`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-dialog-session': session,
          'x-csrf-token': csrf,
          origin: fx.baseUrl,
        },
        body: JSON.stringify({
          fieldCode: PDF_FIELD,
          fileId,
          certId: fx.certId,
          otp: signer.code(),
          visible: true,
          page: 'last',
          position: 'bottom-right',
        }),
      });
      assert.equal(signed.status, 202, await signed.clone().text());
      const { id } = (await signed.json()) as { id: string };
      const done = await fx.waitFor(id, (r) => r.state === 'completed' || r.state === 'failed');
      assert.equal(done.state, 'completed', JSON.stringify(done.failure));
      assert.equal(done.timeZone, zone, 'the dialog hands the user’s zone to the request');
      assert.equal(done.steps.sign?.data.timeZone, zone);
      assert.match(await stampText(dealId, `${login}-dialog`), stampTime(offset));
    });
  }
});
