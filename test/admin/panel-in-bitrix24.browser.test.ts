/**
 * The control panel the Bitrix24 way: the app's main page (`/b24/app`, the PLACEMENT=DEFAULT frame POST)
 * opened from the emulator's portal page in headless Chromium whose profile blocks third-party cookies,
 * the app on another site than the portal (localhost against 127.0.0.1), against the service as a child
 * process. The blocking is proven in the app's frame: an unpartitioned cookie does not stick where a
 * partitioned one does, while a profile that allows third-party cookies keeps both. Then:
 * - a portal administrator (the portal says so: `user.admin` with the page's AUTH_ID, on the server) does
 *   the administrator's part of the story in the frame: certificates shown read-only, an account for a
 *   portal user picked by search, the enrollment link mailed, the user enrolls, a certificate granted, the
 *   Sign log shows the changes naming the administrator with the chain intact;
 * - an ordinary user gets My signing (with the way to the documents waiting for him), and 403 from every
 *   admin API call (walked from the OpenAPI document, which the security test proves equal to the router);
 * - the administrator of portal A walks every route with portal B's account, request, grant and portal:
 *   nothing of B is answered and nothing of B changes;
 * - a forged AUTH_ID, or portal B's administrator's token posted as portal A's page, opens no panel.
 * Every page of the in-Bitrix24 panel and My signing is checked with axe-core and photographed in English,
 * Russian and at 375 px.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { ROBOT_CODE } from '../b24app/b24app-fixture.js';
import { waitingStep } from '../b24ui/approval-calls.js';
import { B24UiFixture } from '../b24ui/b24ui-fixture.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle, PortalUser } from '../support/bitrix24-emulator/index.js';
import { type ChromiumProfile, launchChromiumProfile } from '../support/chromium.js';
import { postB24Form } from '../support/post-b24-form.js';
import { axe, enrollFromLink, enrollmentLinkIn, PANEL_ROUTES, settle, shoot, tourPages } from './panel-browser.js';
import { adminOperations, callFromFrame, collect, cookieProbe, openAppPage, openedFrame } from './panel-frame.js';

describe('control panel inside Bitrix24 (portal frame, third-party cookies blocked)', function () {
  this.timeout(300_000);
  const fx = new B24UiFixture();
  let profile: ChromiumProfile;
  let page: Page;
  let a: PortalHandle;
  let b: PortalHandle;
  let ivan: PortalUser;

  before(async () => {
    await fx.startUi({}, { publicHost: 'localhost', browser: false });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    b = fx.emulator.addPortal({ domain: 'portal-b.bitrix24.test' });
    await fx.install(a);
    await fx.install(b);
    ivan = a.createUser({ name: 'Ivan', lastName: 'Petrov', email: 'ivan@acme.test', language: 'en' });
    profile = await launchChromiumProfile({ thirdPartyCookies: 'block' });
    page = await profile.context.newPage();
    await page.setViewportSize({ width: 1100, height: 900 });
  });
  after(async () => {
    await profile?.close();
    await fx.stopUi();
  });

  const openApp = (on: Page, portal: PortalHandle, userId: number) =>
    openAppPage(on, fx.emulator.appPageLauncherUrl(portal, userId, `${fx.baseUrl}/b24/app`));
  const operations = () => adminOperations(fx.service?.url ?? '');

  it('third-party cookies are blocked in the app’s frame; a profile that allows them keeps the probe', async () => {
    const frame = await openApp(page, a, 1);
    assert.notEqual(new URL(frame.url()).hostname, new URL(page.url()).hostname, 'the app is another site');
    assert.deepEqual(await cookieProbe(frame), { unpartitioned: false, partitioned: true });
    const allowing = await launchChromiumProfile({ thirdPartyCookies: 'allow' });
    try {
      const control = await openApp(await allowing.context.newPage(), a, 1);
      assert.deepEqual(await cookieProbe(control), { unpartitioned: true, partitioned: true }, 'the probe can tell');
    } finally {
      await allowing.close();
    }
  });

  it('a portal administrator: account for a portal user, mailed link, enrollment, grant, sign log', async () => {
    let frame = await openApp(page, a, 1);
    await settle(frame, frame.getByRole('heading', { name: 'Accounts' }));
    assert.match((await frame.locator('.who').textContent()) ?? '', /portal-a\.bitrix24\.test/);

    await frame.getByRole('link', { name: 'Certificates' }).click();
    await settle(frame, frame.getByRole('heading', { name: 'Certificates' }));
    assert.equal(await frame.getByRole('button', { name: 'Create', exact: true }).count(), 0, 'no CA form');
    await frame.getByText('only the service operator changes them').waitFor();

    await frame.getByRole('link', { name: 'Accounts' }).click();
    await frame.getByRole('link', { name: 'New account' }).click();
    await settle(frame, frame.getByRole('heading', { name: 'New account' }));
    await frame.getByLabel('Login').fill('ivan');
    await frame.getByLabel('Description').fill('Ivan Petrov, sales');
    await frame.getByLabel('E-mail').fill('ivan@acme.test');
    assert.equal(await frame.getByLabel('Portal').count(), 0, 'a portal administrator has one portal');
    await frame.getByLabel('Find a Bitrix24 user').fill('Ivan');
    await frame.getByRole('button', { name: 'Find' }).click();
    const user = frame.getByLabel('Bitrix24 user', { exact: true });
    await settle(frame, user.locator('option', { hasText: 'Petrov' }), { state: 'attached' });
    assert.equal(await user.inputValue(), String(ivan.id));
    await axe(frame, 'new account in Bitrix24');
    await shoot(page, 'b24-new-account-en', frame);
    await frame.getByRole('button', { name: 'Create account' }).click();
    await settle(frame, frame.getByRole('heading', { name: 'ivan' }));
    await frame.getByRole('button', { name: 'Send enrollment link' }).click();
    await settle(frame, frame.getByText(/was e-mailed to ivan@acme\.test/));

    const [mail] = await fx.sink.waitFor(1);
    const link = enrollmentLinkIn(mail?.text, fx.baseUrl);
    const enroll = await profile.context.newPage();
    await enrollFromLink(enroll, link);
    await enroll.close();

    // The panel opened again from the portal (a new frame POST): Ivan is enrolled now.
    frame = await openApp(page, a, 1);
    await frame.getByRole('link', { name: 'ivan' }).click();
    await settle(frame, frame.getByRole('heading', { name: 'ivan' }));
    assert.match((await frame.locator('.facts').textContent()) ?? '', /enrolled/);
    const certificate = frame.getByLabel('Certificate', { exact: true });
    const token = certificate.locator('option', { hasText: 'Mary Robot Signer' });
    await certificate.selectOption((await token.getAttribute('value')) ?? '');
    await frame.getByRole('button', { name: 'Grant' }).click();
    await settle(frame, frame.getByRole('button', { name: 'Take away' }));
    await axe(frame, 'account in Bitrix24');
    await shoot(page, 'b24-account-en', frame);

    await frame.getByRole('link', { name: 'Sign log' }).click();
    await settle(frame, frame.locator('#chain-status'));
    assert.match((await frame.locator('#chain-status').textContent()) ?? '', /^Chain intact: \d+ entries/);
    const rows = await frame
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' | ')));
    const log = rows.join('\n');
    for (const action of ['Account created', 'Enrollment link made', 'Certificate granted']) {
      assert.ok(log.includes(`| ${action} | Admin Portal · portal administrator | ivan |`), `"${action}":\n${log}`);
    }
    assert.ok(log.includes('| Authenticator set up | ivan | ivan |'), log);
  });

  it('every page of the panel in Bitrix24 in English, Russian and at 375 px', async () => {
    const open = async (route: string) => {
      const frame = await openApp(page, a, 1);
      await frame.evaluate((r) => {
        location.hash = `#/${r}`;
      }, route);
      await frame.locator(`nav a[href="#/${route.split('/')[0]}"][aria-current="page"]`).waitFor();
    };
    const ivansAccount = (await fx.store.accounts.list()).find((x) => x.login === 'ivan');
    assert.ok(ivansAccount);
    await tourPages(page, {
      prefix: 'b24-',
      pages: [
        ...PANEL_ROUTES,
        { route: 'accounts/new', name: 'new-account' },
        { route: `accounts/${ivansAccount.id}`, name: 'account' },
      ],
      open,
      panel: () => openedFrame(page),
    });
  });

  it('an ordinary user gets My signing, and 403 from every admin API call', async () => {
    // A workflow step waits for Ivan: My signing leads to his "Waiting for me" list.
    const step = await waitingStep(fx, a, ivan.id, 'Ivan waits', 1);
    const frame = await openApp(page, a, ivan.id);
    await settle(frame, frame.getByRole('heading', { name: 'My signing' }));
    assert.match((await frame.locator('#my-waiting').textContent()) ?? '', /Documents waiting for your signature: 1\./);
    const list = await fetch((await frame.locator('#my-waiting-link').getAttribute('href')) ?? '');
    assert.equal(list.status, 200);
    assert.match(await list.text(), new RegExp(`name="id" value="${step.requestId}"`), 'the list offers his step');
    assert.equal(await frame.getByRole('navigation').getByRole('link', { name: 'Accounts' }).count(), 0);
    assert.match((await frame.locator('main').textContent()) ?? '', /ivan/);
    assert.equal(await frame.locator('#my-otp').textContent(), 'One-time codes: set up');
    assert.match((await frame.locator('main').textContent()) ?? '', /Mary Robot Signer — valid until/);
    await axe(frame, 'My signing');

    const adminOnly = (await operations()).filter((op) => !['public', 'self'].includes(op.authority));
    assert.ok(adminOnly.length > 25, `${adminOnly.length} admin operations`);
    for (const op of adminOnly) {
      const path = op.path.replace(/\{certId\}/g, fx.certId).replace(/\{[A-Za-z]+\}/g, 'x');
      const answer = await callFromFrame(frame, op.method, path, op.method === 'GET' ? undefined : {});
      assert.equal(answer.status, 403, `${op.method} ${op.path} answered ${answer.status}: ${answer.text}`);
    }
    const me = await callFromFrame(frame, 'GET', '/api/v1/me');
    assert.equal(me.status, 200);

    await tourPages(page, {
      prefix: 'b24-',
      pages: ['me'],
      open: async () => {
        await openApp(page, a, ivan.id);
      },
      panel: () => openedFrame(page),
    });
  });

  it('the administrator of portal A can read or change nothing of portal B', async () => {
    // Portal B: its administrator makes Boris's account in B's frame; a robot asks Boris to sign.
    const borisUser = b.createUser({ name: 'Boris', lastName: 'Bobrov', email: 'boris@acme.test' });
    const other = await profile.context.newPage();
    const bFrame = await openApp(other, b, 1);
    const created = await callFromFrame(bFrame, 'POST', '/api/v1/accounts', {
      login: 'boris',
      email: 'boris@acme.test',
      bitrixUserId: borisUser.id,
    });
    assert.equal(created.status, 201, created.text);
    const boris = JSON.parse(created.text) as { id: string };
    const granted = await callFromFrame(bFrame, 'POST', `/api/v1/accounts/${boris.id}/grants`, { certId: fx.certId });
    assert.equal(granted.status, 200, granted.text);
    await other.close();
    const dealId = b.createDeal({
      title: 'B contract',
      files: { UF_CRM_CONTRACT_PDF: [{ name: 'b.pdf', bytes: await makePdf('B', 1) }] },
    }).id;
    const run = await fx.emulator.runRobot(b, ROBOT_CODE, { dealId, properties: { signer: `user_${borisUser.id}` } });
    const requestId = fx.requestIdOf(b, run);
    await fx.waitFor(requestId, (r) => r.state === 'awaiting_signer');
    // B's robot e-mails Boris his approval link; A's walk must add nothing to that.
    const toBoris = () => fx.sink.raw.filter((m) => m.toString().includes('boris@acme.test')).length;
    for (let waited = 0; toBoris() === 0 && waited < 30_000; waited += 100) await sleep(100);
    const mailsToBoris = toBoris();
    assert.equal(mailsToBoris, 1, 'the approval link went to Boris');
    const before = JSON.stringify(await fx.store.accounts.get(boris.id));
    const logBefore = (await collect(fx.store.signLog.list())).length;

    const frame = await openApp(page, a, 1);
    const secrets = [boris.id, 'boris', b.memberId, b.domain, requestId];
    // Each route with B's identifiers, and with identifiers nobody has: the answers must be the same.
    const ofB = { account: boris.id, request: requestId, member: b.memberId };
    const nobodys = {
      account: randomUUID(),
      request: randomBytes(32).toString('hex'),
      member: randomBytes(16).toString('hex'),
    };
    const substitute = (path: string, ids: typeof ofB) =>
      path
        .replace('{memberId}', ids.member)
        .replace('{certId}', fx.certId)
        .replace(/\/requests\/\{id\}/, `/requests/${ids.request}`)
        .replace(/\/accounts\/\{id\}/, `/accounts/${ids.account}`)
        .replace(/\{id\}/, 'x');
    const mask = (text: string, ids: typeof ofB) =>
      Object.values(ids).reduce((t, id) => t.split(id).join('<id>'), text);
    const bodies: Record<string, unknown> = {
      'POST /api/v1/accounts': { login: 'intruder', memberId: b.memberId, bitrixUserId: 77 },
      'PATCH /api/v1/accounts/{id}': { description: 'changed by A', status: 'disabled' },
      'POST /api/v1/accounts/{id}/grants': { certId: fx.secondCertId, isDefault: true },
      'POST /api/v1/accounts/{id}/enrollment-link': { send: true },
      'POST /api/v1/requests/{id}/cancel': { reason: 'by A' },
    };
    for (const op of (await operations()).filter((o) => o.authority !== 'public' && o.path !== '/api/v1/session')) {
      const body = op.method === 'GET' ? undefined : (bodies[`${op.method} ${op.path}`] ?? {});
      const answer = await callFromFrame(frame, op.method, substitute(op.path, ofB), body);
      const what = `${op.method} ${op.path} answered ${answer.status}`;
      if (op.path.includes('{')) {
        assert.ok([403, 404].includes(answer.status), `${what}: ${answer.text}`);
        const control = await callFromFrame(frame, op.method, substitute(op.path, nobodys), body);
        assert.equal(answer.status, control.status, `${what}, for nobody's ${control.status}`);
        assert.equal(mask(answer.text, ofB), mask(control.text, nobodys), `${what}: as if B's did not exist`);
      }
      const shown = mask(answer.text, ofB);
      for (const secret of secrets) assert.ok(!shown.includes(secret), `${what} shows ${secret}: ${answer.text}`);
    }
    const intruder = (await fx.store.accounts.list()).find((x) => x.login === 'intruder');
    assert.equal(intruder?.memberId, a.memberId, 'an account A creates is A’s, whatever it asks for');
    assert.equal(intruder?.bitrix?.memberId, a.memberId, 'and so is its user');
    assert.equal(JSON.stringify(await fx.store.accounts.get(boris.id)), before, 'Boris’s account is unchanged');
    assert.equal((await fx.store.signRequests.get(requestId))?.state, 'awaiting_signer', 'B’s request waits');
    const grants = await fx.store.grants.listForAccount(boris.id);
    assert.deepEqual(
      grants.map((g) => g.certId),
      [fx.certId],
      'Boris’s grants are unchanged',
    );
    const changes = (await collect(fx.store.signLog.list())).slice(logBefore);
    for (const entry of changes) {
      assert.notEqual(entry.details?.memberId, b.memberId, `no entry about B: ${JSON.stringify(entry)}`);
      assert.notEqual(entry.details?.accountId, boris.id, `no entry about Boris: ${JSON.stringify(entry)}`);
    }
    assert.equal(toBoris(), mailsToBoris, 'no mail to Boris from A');
  });
  it('the app page opens no panel for a token the portal does not confirm: forged, or portal B’s', async () => {
    const fields = (authId: string) => ({
      AUTH_ID: authId,
      AUTH_EXPIRES: '3600',
      REFRESH_ID: 'r'.repeat(32),
      SERVER_ENDPOINT: a.serverEndpoint,
      APPLICATION_TOKEN: a.applicationToken,
      APPLICATION_SCOPE: 'crm,bizproc,placement,user_basic,im,disk',
      member_id: a.memberId,
      status: 'L',
      PLACEMENT: 'DEFAULT',
      PLACEMENT_OPTIONS: '[]',
    });
    const url = `${fx.baseUrl}/b24/app`;
    const query = `?DOMAIN=${a.domain}&PROTOCOL=0&LANG=en&APP_SID=test`;
    const own = await postB24Form(url, fields(a.issueTokens(1).accessToken), query);
    assert.equal(own.status, 200, own.body);
    assert.match(own.body, /data-session="[A-Za-z0-9_-]{20,}"/, 'a real administrator’s token opens the panel');
    for (const [what, token] of [
      ['a forged token', 'f'.repeat(32)],
      ['the token of portal B’s administrator', b.issueTokens(1).accessToken],
    ] as const) {
      const answer = await postB24Form(url, fields(token), query);
      assert.equal(answer.status, 403, `${what}: ${answer.status}`);
      assert.doesNotMatch(answer.body, /data-session="[^"]/, `${what} gets no panel session`);
    }
  });
});
