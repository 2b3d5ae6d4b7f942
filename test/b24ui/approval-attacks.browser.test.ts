/**
 * Who may decide a robot step, tried as issue 10's attackers tried it, against the running service (child
 * process), the portal emulator, RabbitMQ, a SoftHSM2 token and headless Chromium:
 *
 * - an approval link that was decided (approved and signed, or rejected) or has expired shows only its
 *   outcome: its document and page images answer 410 — also once the deal holds a later (signed) version;
 * - rejecting needs the one-time code, like approving;
 * - a POST from another origin, or without the page's CSRF token, cannot approve or reject (raw requests
 *   and a real cross-site form in Chromium), and the code it carried stays unused;
 * - wrong codes through a link lock the signer (per signer, RFC 4226 §7.3), the lockout is announced to the
 *   signer and the administrator with its end time, the sign log counts every attempt in a few entries, and
 *   once the time is over the signer signs.
 *
 * Each genuine path still works: approve with the code, reject with the code.
 */
import assert from 'node:assert/strict';
import type { ParsedMail } from 'mailparser';
import type { SignLogEntry } from '../../shared/domain/sign-log-entry.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { crossSitePage } from '../support/cross-site-page.js';
import { assertAllValidAndTrusted } from '../support/verifiers.js';
import { getUnder, linkOf, openPage, postForm, waitingStep } from './approval-calls.js';
import { B24UiFixture, type UiSigner } from './b24ui-fixture.js';

describe('Who may decide a robot step: closed links, codes, CSRF, lockout (service, emulator, Chromium)', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;
  let anna: UiSigner;
  let boris: UiSigner;
  let carl: UiSigner;
  let erik: UiSigner;
  let carlLink = '';
  let carlRequestId = '';
  let carlLockedUntil = new Date(0);

  before(async () => {
    await fx.startUi({ OTP_LOCKOUT_MINUTES: '1', ADMIN_EMAIL: 'ops@acme.test' });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    anna = await fx.uiSigner(portal, 'anna', { accountLanguage: 'en' });
    boris = await fx.uiSigner(portal, 'boris', { accountLanguage: 'en' });
    carl = await fx.uiSigner(portal, 'carl', { accountLanguage: 'en' });
    // Erik types no code before the attack test: his one code there is surely inside the ±1 step window.
    erik = await fx.uiSigner(portal, 'erik', { accountLanguage: 'en' });
  });
  after(async () => {
    await fx.stopUi();
  });

  async function logEntries(): Promise<SignLogEntry[]> {
    const out: SignLogEntry[] = [];
    for await (const e of fx.store.signLog.list()) out.push(e);
    return out;
  }
  const entriesOf = async (login: string) => (await logEntries()).filter((e) => e.actor.login === login);

  async function mailTo(to: string, subject: RegExp): Promise<ParsedMail> {
    const until = Date.now() + 30_000;
    for (;;) {
      const found = fx.sink.messages.find(
        (m) => !Array.isArray(m.to) && m.to?.value[0]?.address === to && subject.test(m.subject ?? ''),
      );
      if (found) return found;
      if (Date.now() > until) throw new Error(`no mail to ${to} matching ${subject}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The document and the page images of a link: all 410 once it is closed. */
  async function assertClosed(link: string): Promise<void> {
    for (const path of ['document.pdf', 'page/1.png', 'page/2.png', 'page/3.png']) {
      const response = await getUnder(link, path);
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(response.status, 410, `${path} answered ${response.status}`);
      assert.ok(!body.subarray(0, 5).equals(Buffer.from('%PDF-')) && !body.includes('PNG'), `${path} is no document`);
    }
    const page = await openPage(link);
    assert.match(page.html, /id="approval-outcome"/);
    assert.doesNotMatch(page.html, /document\.pdf|\/page\/\d|id="approve-form"|id="reject-form"/);
  }

  it('lockout: wrong codes through a link lock the signer, announced to the signer and the administrators', async () => {
    const step = await waitingStep(fx, portal, carl.userId, 'Carl lockout');
    carlLink = step.link;
    carlRequestId = step.requestId;
    const page = await openPage(carlLink);
    const attempt = (otp: string) => postForm(carlLink, 'approve', { csrf_token: page.csrf, cert: page.cert, otp });
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await attempt(carl.wrongCode())).status);
    assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401]);
    assert.ok(
      statuses.slice(4).every((s) => s === 423),
      `then locked: ${statuses.join(',')}`,
    );
    // Locked means locked: the right code is refused too, and the page says until when.
    const right = await attempt(carl.code());
    assert.equal(right.status, 423);
    assert.match(await right.text(), /locked until/i);
    const account = await fx.store.accounts.get(carl.account.id);
    carlLockedUntil = account?.lockout.lockedUntil ?? new Date(0);
    const minutes = (carlLockedUntil.getTime() - Date.now()) / 60_000;
    assert.ok(minutes > 0.5 && minutes <= 1, `OTP_LOCKOUT_MINUTES=1 (${minutes.toFixed(2)} min left)`);

    // Announced, with the end time: the signer by e-mail and Bitrix24, the portal's administrator (user 1)
    // by Bitrix24 and e-mail, the operator (ADMIN_EMAIL) by e-mail.
    const toCarl = await mailTo(carl.email, /Account carl is locked/);
    assert.match(toCarl.text ?? '', /locked until/);
    const admin = portal.users().find((u) => u.id === 1)!;
    assert.match((await mailTo(admin.email, /carl is locked/)).text ?? '', /locked until/);
    assert.match((await mailTo('ops@acme.test', /carl is locked/)).text ?? '', /Portal: portal-a\.bitrix24\.test/);
    const notices = portal.notifications().filter((n) => n.tag.startsWith('signservice|lockout|'));
    assert.deepEqual(notices.map((n) => n.toUserId).sort(), [1, carl.userId].sort());
    assert.ok(notices.every((n) => /locked until/.test(n.message)));

    // 26 attempts, a handful of entries: every attempt counted, none written one by one.
    const failures = (await entriesOf('carl')).filter((e) => e.action === 'otp_failed' || e.action === 'locked');
    assert.ok(failures.length <= 3, `${failures.length} entries: ${failures.map((e) => e.action).join(',')}`);
    assert.equal(failures.filter((e) => e.action === 'locked').length, 1, 'the lockout entry is always written');
  });

  it('a decided (approved and signed) link shows only its outcome: no document, no page images, no later version', async () => {
    const step = await waitingStep(fx, portal, anna.userId, 'Anna decided');
    const open = await openPage(step.link);
    assert.equal((await getUnder(step.link, 'document.pdf')).status, 200, 'while open, the document is there');
    assert.equal((await getUnder(step.link, 'page/1.png')).headers.get('content-type'), 'image/png');
    const approved = await postForm(step.link, 'approve', { csrf_token: open.csrf, cert: open.cert, otp: anna.code() });
    assert.equal(approved.status, 303);
    await fx.waitFor(step.requestId, (r) => r.state === 'completed');
    // The deal now holds the signed file: a later version the link must not hand out either.
    assertAllValidAndTrusted((await fx.pdfsigOfDeal(portal, step.dealId)).report, 1);
    await assertClosed(step.link);
  });

  it('rejecting needs the one-time code; a rejected link shows only its outcome', async () => {
    const step = await waitingStep(fx, portal, boris.userId, 'Boris rejects');
    const { csrf } = await openPage(step.link);
    const reject = (form: Record<string, string>) => postForm(step.link, 'reject', { csrf_token: csrf, ...form });
    const noCode = await reject({ reason: 'Wrong amount' });
    assert.equal(noCode.status, 401);
    assert.match(await noCode.text(), /id="approval-error"/);
    assert.equal((await reject({ reason: 'Wrong amount', otp: boris.wrongCode() })).status, 401);
    assert.equal((await fx.store.signRequests.get(step.requestId))?.state, 'awaiting_signer');
    const done = await reject({ reason: 'Wrong amount', otp: boris.code() });
    assert.equal(done.status, 303);
    const rejected = await fx.waitFor(step.requestId, (r) => r.state === 'rejected');
    assert.equal(rejected.failure?.message, 'Wrong amount');
    const entry = (await logEntries()).find((e) => e.action === 'rejected' && e.requestId === step.requestId);
    assert.equal(entry?.otp, 'used', 'the sign log says the rejection was confirmed with a code');
    await assertClosed(step.link);
  });

  it('an expired link shows only its outcome', async () => {
    const step = await waitingStep(fx, portal, anna.userId, 'Anna expires');
    // The step's deadline, brought to a few seconds from now (the robot's shortest is one hour).
    const deadline = new Date(Date.now() + 3000);
    assert.ok(await fx.store.signRequests.update({ ...step.request, deadline }, step.request.version));
    const link = linkOf(fx, { ...step.request, deadline });
    assert.equal((await getUnder(link, 'document.pdf')).status, 200);
    await new Promise((r) => setTimeout(r, deadline.getTime() - Date.now() + 1500));
    await assertClosed(link);
    await fx.waitFor(step.requestId, (r) => r.state === 'expired');
    await assertClosed(link);
  });

  it('attack: cross-site or token-less POSTs cannot approve or reject, and the code they carried stays unused', async () => {
    const step = await waitingStep(fx, portal, erik.userId, 'Erik targeted');
    const other = await waitingStep(fx, portal, boris.userId, 'Boris other');
    const { csrf, cert } = await openPage(step.link);
    const otherCsrf = (await openPage(other.link)).csrf;
    const code = erik.code();
    const evil = { origin: 'https://evil.example' };
    const forged: [string, Response][] = [
      ['reject, foreign origin, no token', await postForm(step.link, 'reject', { reason: 'x', otp: code }, evil)],
      ['approve, foreign origin', await postForm(step.link, 'approve', { csrf_token: csrf, cert, otp: code }, evil)],
      [
        'approve, Origin null',
        await postForm(step.link, 'approve', { csrf_token: csrf, otp: code }, { origin: 'null' }),
      ],
      [
        'approve, no Origin/Referer',
        await postForm(step.link, 'approve', { csrf_token: csrf, otp: code }, { origin: '' }),
      ],
      [
        'approve, foreign Referer',
        await postForm(
          step.link,
          'approve',
          { csrf_token: csrf, otp: code },
          { origin: '', referer: 'https://evil.example/x' },
        ),
      ],
      ['approve, no token', await postForm(step.link, 'approve', { cert, otp: code })],
      ['approve, token of another link', await postForm(step.link, 'approve', { csrf_token: otherCsrf, otp: code })],
      ['reject, no token', await postForm(step.link, 'reject', { reason: 'x', otp: code })],
    ];
    for (const [what, response] of forged) {
      assert.equal(response.status, 403, `${what}: ${response.status}`);
      assert.match(await response.text(), /CSRF_REJECTED/, what);
    }
    // A real browser on the attacker's site, posting the form with a scraped token and a valid code.
    const site = await crossSitePage(
      `<form method="post" action="${fx.baseUrl}${new URL(step.link).pathname}/reject">` +
        `<input type="hidden" name="csrf_token" value="${csrf}"><input type="hidden" name="reason" value="Forged">` +
        `<input type="hidden" name="otp" value="${code}"><button id="go">Claim your prize</button></form>`,
    );
    const page = await fx.chromium.browser.newPage();
    try {
      await page.goto(site.url);
      const [response] = await Promise.all([page.waitForNavigation(), page.locator('#go').click()]);
      assert.equal(response?.status(), 403);
    } finally {
      await page.close();
      await site.close();
    }
    assert.equal((await fx.store.signRequests.get(step.requestId))?.state, 'awaiting_signer');
    assert.equal((await logEntries()).filter((e) => e.requestId === step.requestId).length, 0);
    // The genuine page with the same code: approved, which shows the forged calls never used it.
    const genuine = await postForm(step.link, 'approve', { csrf_token: csrf, cert, otp: code });
    assert.equal(genuine.status, 303);
    await fx.waitFor(step.requestId, (r) => r.state === 'completed');
  });

  it('lockout: once its time is over, the signer approves and the document is signed', async () => {
    const wait = carlLockedUntil.getTime() - Date.now() + 1000;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const page = await openPage(carlLink);
    const approved = await postForm(carlLink, 'approve', { csrf_token: page.csrf, cert: page.cert, otp: carl.code() });
    assert.equal(approved.status, 303, await approved.text());
    await fx.waitFor(carlRequestId, (r) => r.state === 'completed');
    // Every failed attempt of the first test is in the log, counted once: 26 before the success.
    const counted = (await entriesOf('carl'))
      .filter((e) => e.action === 'otp_failed' || e.action === 'locked')
      .reduce((sum, e) => sum + Number(e.details?.attempts ?? 0), 0);
    assert.equal(counted, 26);
  });
});
