/**
 * The worker's notices over a real SMTP server and the portal emulator: a reminder once 80 % of the time to
 * the deadline has passed (in the signer's language, with a working approval link), exactly once even with
 * two senders; the administrator's alert for a failure only an administrator can fix; and the claim that
 * makes a notice go out once.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ParsedMail } from 'mailparser';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { claimNotice } from '../../shared/notices/notice-claims.js';
import { readApprovalToken } from '../../shared/sign-requests/approval-link.js';
import { reminderDue } from '../../worker/notices/notice-sweep.js';
import { waitingRobotRequest } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { B24UiFixture, type UiSigner } from './b24ui-fixture.js';

const HOUR = 3_600_000;

function robotRequest(
  portal: PortalHandle,
  signer: UiSigner,
  dealId: number,
  created: Date,
  deadline: Date,
): SignRequest {
  const key = `${created.getTime()}-${signer.userId}`;
  const request = waitingRobotRequest(portal, { accountId: signer.account.id, userId: signer.userId }, dealId, {
    createdAt: created,
    deadline,
    key,
  });
  // The request notice went out long ago; only the reminder is due.
  return { ...request, notified: { requested: created.toISOString() } };
}

describe('Signing notices (SMTP, emulator, the service worker sweep)', function () {
  this.timeout(120_000);
  const fx = new B24UiFixture();
  let portal: PortalHandle;
  let vera: UiSigner;

  before(async () => {
    await fx.startUi();
    portal = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(portal);
    vera = await fx.uiSigner(portal, 'vera', { accountLanguage: 'ru' });
  });
  after(async () => {
    await fx.stopUi();
  });

  async function mailsTo(to: string, subject: RegExp, count: number, settleMs = 3000): Promise<ParsedMail[]> {
    const matching = () =>
      fx.sink.messages.filter(
        (m) => !Array.isArray(m.to) && m.to?.value[0]?.address === to && subject.test(m.subject ?? ''),
      );
    const until = Date.now() + 30_000;
    while (matching().length < count && Date.now() < until) await sleep(200);
    await sleep(settleMs); // a second copy would arrive by now (the sweep runs every second)
    return matching();
  }

  it('knows when a reminder is due: after 80 % of the time, before the deadline', () => {
    const r = { createdAt: new Date(0), deadline: new Date(100 * HOUR) } as SignRequest;
    assert.equal(reminderDue(r, new Date(79 * HOUR)), false);
    assert.equal(reminderDue(r, new Date(80 * HOUR)), true);
    assert.equal(reminderDue(r, new Date(100 * HOUR)), false);
    assert.equal(reminderDue({ ...r, deadline: undefined } as unknown as SignRequest, new Date(90 * HOUR)), false);
  });

  it('reminds the signer once, in Russian, with a link that opens the request', async () => {
    const dealId = fx.deal(portal, 'Договор поставки', await makePdf('Supply', 1));
    const now = Date.now();
    const request = robotRequest(portal, vera, dealId, new Date(now - 40 * HOUR), new Date(now + 8 * HOUR));
    await fx.store.signRequests.create(request);
    const [mail, ...more] = await mailsTo(vera.email, /Напоминание: сделка «Договор поставки»/, 1);
    assert.ok(mail, 'the reminder arrived');
    assert.equal(more.length, 0, 'exactly one reminder');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/b24\/approve\/([A-Za-z0-9_.-]+)\?lang=ru)/.exec(mail.text ?? '');
    assert.ok(link, mail.text);
    assert.equal(readApprovalToken(fx.masterKey, link[2]!, new Date()).requestId, request.id);
    const page = await fetch(link[1]!);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /id="approve-form"/);
    const notes = portal.notifications().filter((n) => n.tag === `signservice|${request.id}|reminder`);
    assert.equal(notes.length, 1);
    assert.equal(notes[0]!.toUserId, vera.userId);
    assert.match(notes[0]!.message, /Напоминание/);
    assert.ok((await fx.store.signRequests.get(request.id))?.notified?.reminder);
  });

  it("alerts the portal's administrator when a dialog signature failed for an expired certificate", async () => {
    const dealId = fx.deal(portal, 'Lease', await makePdf('Lease', 1));
    const at = new Date();
    const failed: SignRequest = {
      ...robotRequest(portal, vera, dealId, at, new Date(at.getTime() + HOUR)),
      id: `dialog-${at.getTime()}`,
      state: 'failed',
      robot: undefined,
      notified: {},
      failure: { code: 'CERT_EXPIRED', message: 'Certificate 1234 expired at 2026-01-01T00:00:00.000Z' },
    };
    await fx.store.signRequests.create(failed);
    const admin = portal.users().find((u) => u.id === 1)!;
    const [mail] = await mailsTo(admin.email, /SignService needs an administrator/, 1, 500);
    assert.ok(mail, 'the administrator got an e-mail');
    assert.match(mail.text ?? '', /Certificate 1234 expired/);
    assert.match(mail.text ?? '', /CERT_EXPIRED/);
    const note = portal.notifications().find((n) => n.tag === `signservice|${failed.id}|admin`);
    assert.equal(note?.toUserId, 1);
  });

  it('lets exactly one of two concurrent senders claim a notice', async () => {
    const dealId = fx.deal(portal, 'Claims', await makePdf('Claims', 1));
    const far = new Date(Date.now() + 1000 * HOUR);
    const request = {
      ...robotRequest(portal, vera, dealId, new Date(), far),
      id: `claim-${Date.now()}`,
      state: 'rejected' as const,
    };
    await fx.store.signRequests.create({ ...request, robot: undefined });
    const stored = (await fx.store.signRequests.get(request.id))!;
    const claims = await Promise.all([1, 2, 3].map(() => claimNotice(fx.store, stored, 'outcome', new Date())));
    assert.equal(claims.filter(Boolean).length, 1);
  });
});
