/**
 * Issue 10 items 3 and 4 for the Sign dialog and the robot, against the running service, the portal
 * emulator (two portals), RabbitMQ and a SoftHSM2 token:
 *
 * - an account belongs to one portal: a user of portal B whose e-mail is that of portal A's account (linked
 *   or not) is not linked to it and cannot sign with it — neither from the Sign dialog nor as a robot's
 *   signer — and a linked account is never re-linked; the genuine user of portal A is linked by e-mail;
 * - the dialog's sign call needs its page: a foreign Origin, none at all, or a missing or foreign CSRF token
 *   is refused and creates nothing; the genuine call signs;
 * - a sign call naming a file the dialog did not offer as a PDF is refused before the code is checked: the
 *   code stays unused and nothing is created.
 */
import assert from 'node:assert/strict';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { ROBOT_CODE } from '../../shared/bitrix24/robot-definition.js';
import { PDF_FIELD } from '../b24app/b24app-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { B24UiFixture, type UiSigner } from './b24ui-fixture.js';

interface OpenedDialog {
  status: number;
  html: string;
  session: string;
  csrf: string;
}

describe('Accounts of one portal, and the Sign dialog’s CSRF guard (service, two emulated portals)', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let portalA: PortalHandle;
  let portalB: PortalHandle;
  let anna: UiSigner;
  let dora: UiSigner;

  before(async () => {
    await fx.startUi();
    portalA = fx.emulator.portal('portal-a.bitrix24.test');
    portalB = fx.emulator.addPortal({ domain: 'portal-b.bitrix24.test' });
    await fx.install(portalA);
    await fx.install(portalB);
    anna = await fx.uiSigner(portalA, 'anna', { language: 'en' });
    // Dora's account belongs to portal A and is not linked yet: her user is found by e-mail the first time.
    dora = await fx.uiSigner(portalA, 'dora', { language: 'en', linked: false });
  });
  after(async () => {
    await fx.stopUi();
  });

  async function openDialog(
    portal: PortalHandle,
    userId: number,
    title: string,
    bytes?: Buffer,
  ): Promise<OpenedDialog & { dealId: number }> {
    const dealId = fx.deal(portal, title, bytes ?? (await makePdf(title, 1)));
    const opened = await fx.emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', userId, { dealId });
    const html = opened.response.body;
    return {
      dealId,
      status: opened.response.status,
      html,
      session: /data-session="([^"]+)"/.exec(html)?.[1] ?? '',
      csrf: /data-csrf="([^"]+)"/.exec(html)?.[1] ?? '',
    };
  }

  function sign(dialog: OpenedDialog, otp: string, headers: Record<string, string> = {}, file?: string) {
    const fileId = file ?? /name="file" value="UF_CRM_[A-Z0-9_]+:(\d+)"/.exec(dialog.html)?.[1] ?? '';
    const sent: Record<string, string> = {
      'content-type': 'application/json',
      'x-dialog-session': dialog.session,
      'x-csrf-token': dialog.csrf,
      origin: fx.baseUrl,
    };
    for (const [name, value] of Object.entries(headers)) {
      if (value === '') delete sent[name];
      else sent[name] = value;
    }
    const body = {
      fieldCode: PDF_FIELD,
      fileId,
      certId: fx.certId,
      otp,
      visible: true,
      page: 'last',
      position: 'bottom-right',
    };
    return fetch(`${fx.baseUrl}/b24/dialog/sign`, { method: 'POST', headers: sent, body: JSON.stringify(body) });
  }

  const account = (login: string) => createAccountService({ store: fx.store }).get({ login });

  it('attack: a portal-B user with the e-mail of portal A’s unlinked account is not linked and cannot sign', async () => {
    const intruder = portalB.createUser({ name: 'Dora', lastName: 'Impostor', email: dora.email });
    const dialog = await openDialog(portalB, intruder.id, 'B deal for the impostor');
    assert.equal(dialog.status, 403);
    assert.match(dialog.html, /No signing account/);
    assert.equal(dialog.session, '', 'no dialog session, so nothing to sign with');
    assert.equal((await account('dora')).bitrix, undefined, 'still linked to nobody');
    // Named as a robot's signer on portal B, the intruder has no account either: the step fails.
    const dealId = fx.deal(portalB, 'B robot deal', await makePdf('B robot deal', 1));
    const run = await fx.emulator.runRobot(portalB, ROBOT_CODE, {
      dealId,
      properties: { signer: `user_${intruder.id}` },
    });
    assert.equal(run.response.status, 200);
    const send = await fx.waitForStepClosed(portalB, run);
    assert.equal(send.matchedReturnValues.Result, 'failed');
    assert.equal((await account('dora')).bitrix, undefined);
    assert.equal((await fx.store.signRequests.list({ accountId: dora.account.id })).length, 0);
  });

  it('attack: a linked account is never re-linked to another portal’s user with its e-mail', async () => {
    const before = await account('anna');
    const intruder = portalB.createUser({ name: 'Anna', lastName: 'Impostor', email: anna.email });
    const dialog = await openDialog(portalB, intruder.id, 'B deal for the second impostor');
    assert.equal(dialog.status, 403);
    assert.deepEqual((await account('anna')).bitrix, before.bitrix);
    assert.deepEqual(before.bitrix, { memberId: portalA.memberId, userId: anna.userId });
  });

  it('the genuine user of portal A is linked by e-mail and signs', async () => {
    const dialog = await openDialog(portalA, dora.userId, 'A deal for Dora');
    assert.equal(dialog.status, 200, dialog.html.slice(0, 500));
    assert.deepEqual((await account('dora')).bitrix, { memberId: portalA.memberId, userId: dora.userId });
    const signed = await sign(dialog, dora.code());
    assert.equal(signed.status, 202, await signed.clone().text());
    const { id } = (await signed.json()) as { id: string };
    await fx.waitFor(id, (r) => r.state === 'completed');
  });

  it('attack: sign calls without the dialog’s origin or CSRF token are refused and create nothing', async () => {
    const dialog = await openDialog(portalA, anna.userId, 'A deal for Anna');
    const otherDialog = await openDialog(portalA, dora.userId, 'Another deal for Dora');
    const code = anna.code();
    const refused: [string, Record<string, string>][] = [
      ['foreign Origin', { origin: 'https://evil.example' }],
      ['Origin null', { origin: 'null' }],
      ['no Origin, no Referer', { origin: '' }],
      ['foreign Referer only', { origin: '', referer: 'https://evil.example/page' }],
      ['no CSRF token', { 'x-csrf-token': '' }],
      ['CSRF token of another dialog', { 'x-csrf-token': otherDialog.csrf }],
    ];
    for (const [what, headers] of refused) {
      const response = await sign(dialog, code, headers);
      const body = (await response.json()) as { error?: { code: string } };
      assert.equal(response.status, 403, what);
      assert.equal(body.error?.code, 'CSRF_REJECTED', what);
    }
    assert.equal((await fx.store.signRequests.list({ accountId: anna.account.id })).length, 0, 'nothing created');
    // The dialog itself, with the same code: accepted, so the refused calls never touched it.
    const genuine = await sign(dialog, code);
    assert.equal(genuine.status, 202, await genuine.clone().text());
    const { id } = (await genuine.json()) as { id: string };
    await fx.waitFor(id, (r) => r.state === 'completed');
  });

  it('attack: a sign call naming a file the dialog did not offer as a PDF keeps its code unused', async () => {
    // A signer of their own: the earlier tests spent Anna's code of this 30-second step.
    const erik = await fx.uiSigner(portalA, 'erik', { language: 'en' });
    const text = await openDialog(portalA, erik.userId, 'A deal with a text file', Buffer.from('not a PDF at all'));
    assert.equal(text.status, 200, text.html.slice(0, 500));
    const textFileId = String(portalA.getDeal(text.dealId)?.files[PDF_FIELD]?.[0]?.id);
    const pdf = await openDialog(portalA, erik.userId, 'A deal with a PDF');
    const pdfFileId = String(portalA.getDeal(pdf.dealId)?.files[PDF_FIELD]?.[0]?.id);
    const code = erik.code();
    const before = (await fx.store.signRequests.list({ accountId: erik.account.id })).length;
    // The text file through its own dialog, and the other deal's PDF through this one: neither was offered.
    for (const [dialog, fileId] of [
      [text, textFileId],
      [text, pdfFileId],
    ] as const) {
      const response = await sign(dialog, code, {}, fileId);
      const body = (await response.json()) as { error?: { code: string; message: string } };
      assert.equal(response.status, 422, JSON.stringify(body));
      assert.equal(body.error?.code, 'PDF_NOT_PDF');
    }
    assert.equal((await fx.store.signRequests.list({ accountId: erik.account.id })).length, before, 'nothing created');
    // The same code then signs the PDF its dialog offered: it was never checked, so never spent.
    const genuine = await sign(pdf, code, {}, pdfFileId);
    assert.equal(genuine.status, 202, await genuine.clone().text());
    const { id } = (await genuine.json()) as { id: string };
    await fx.waitFor(id, (r) => r.state === 'completed');
  });
});
