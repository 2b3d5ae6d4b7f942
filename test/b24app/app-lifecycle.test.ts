/**
 * Install, update, uninstall and the authentication of every inbound Bitrix24 call, against the portal
 * emulator and the service process: the install callback registers the robot (USE_SUBSCRIPTION=Y, the nine
 * properties, the six return values, Russian and English names), the business-process activity, the Sign
 * button and the app events; a second install and an update (which deletes the robots, reference §1.1)
 * re-register without error or duplicates; a UI app installs from its install page; robot calls, app-page
 * POSTs and uninstall events with a wrong or missing application_token or an unknown member_id are refused
 * with 403 and logged; uninstall with the right token marks the portal uninstalled or purges it (CLEAN).
 */
import assert from 'node:assert/strict';
import { ACTIVITY_CODE, ROBOT_CODE } from '../../shared/bitrix24/robot-definition.js';
import { makePdf } from '../pipeline/make-pdfs.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { postB24Form } from '../support/post-b24-form.js';
import { B24AppFixture } from './b24app-fixture.js';

const post = postB24Form;

describe('Bitrix24 app: install, update, uninstall, inbound authentication', function () {
  this.timeout(120_000);
  const fx = new B24AppFixture();
  let a: PortalHandle;
  let b: PortalHandle;

  before(async () => {
    await fx.start({
      emulator: {
        portals: [{ domain: 'portal-a.bitrix24.test', languageId: 'ru' }, { domain: 'portal-b.bitrix24.test' }],
      },
    });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    b = fx.emulator.portal('portal-b.bitrix24.test');
  });
  after(() => fx.stop());

  it('install registers the robot, the activity, the Sign button and the app events', async () => {
    const began = Date.now();
    await fx.install(a);
    const reg = a.registrations();
    assert.deepEqual(
      reg.robots.map((r) => r.code),
      [ROBOT_CODE],
    );
    assert.deepEqual(
      reg.activities.map((r) => r.code),
      [ACTIVITY_CODE],
    );
    const robot = reg.robots[0]!;
    assert.equal(robot.handler, `${fx.baseUrl}/b24/robot`);
    assert.equal(robot.useSubscription, 'Y');
    assert.equal(robot.authUserId, 1, 'runs as the installing administrator');
    assert.deepEqual(Object.keys(robot.properties).sort(), [
      'certificate',
      'deadline_hours',
      'file_field',
      'message',
      'page',
      'page_number',
      'position',
      'signer',
      'visible',
    ]);
    assert.deepEqual(Object.keys(robot.returnProperties).sort(), [
      'Certificate',
      'Reason',
      'Result',
      'SignedAt',
      'SignedBy',
      'SignedFileId',
    ]);
    assert.deepEqual(robot.name, { ru: 'Утвердить и подписать PDF', en: 'Approve & sign PDF' });
    assert.deepEqual(Object.keys(robot.properties.signer!.NAME as object).sort(), ['en', 'ru']);
    assert.equal(robot.properties.position!.TYPE, 'select');
    assert.equal(Object.keys(robot.properties.position!.OPTIONS as object).length, 6);
    assert.deepEqual(
      reg.placements.filter((p) => !p.private).map((p) => [p.placement, p.handler]),
      [['CRM_DEAL_DETAIL_TOOLBAR', `${fx.baseUrl}/b24/placement/sign`]],
    );
    assert.deepEqual(reg.events.map((e) => [e.event, e.handler]).sort(), [
      ['ONAPPUNINSTALL', `${fx.baseUrl}/b24/events`],
      ['ONAPPUPDATE', `${fx.baseUrl}/b24/events`],
    ]);
    const portal = await fx.store.portals.get(a.memberId);
    assert.equal(portal?.status, 'installed');
    assert.equal(portal?.userId, 1);
    console.log(`      install callback → stored and registered: ${Date.now() - began} ms`);
  });

  it('a second install and an update re-register without error or duplicates', async () => {
    await fx.install(a);
    let reg = a.registrations();
    assert.equal(reg.robots.length + reg.activities.length, 2);
    assert.equal(reg.placements.filter((p) => !p.private).length, 1);
    assert.equal(reg.events.length, 2);
    const oldToken = a.applicationToken;
    const deliveries = await fx.emulator.updateApp(a);
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0]!.response.status, 200, deliveries[0]!.response.body);
    assert.notEqual(a.applicationToken, oldToken);
    reg = a.registrations();
    assert.deepEqual(
      [...reg.robots, ...reg.activities].map((r) => r.code).sort(),
      [ACTIVITY_CODE, ROBOT_CODE].sort(),
      'the update deleted the robots; ONAPPUPDATE brought them back',
    );
    assert.equal(reg.events.length, 2);
  });

  it('after an update, robot calls carry the new application_token and the old one is refused', async () => {
    const signer = await fx.signer(a, 'lifecycle');
    const dealId = fx.deal(a, 'Lifecycle', await makePdf('Lifecycle', 1));
    const run = await fx.emulator.runRobot(a, ROBOT_CODE, { dealId, properties: { signer: `user_${signer.userId}` } });
    assert.equal(run.response.status, 200, run.response.body);
    assert.equal(JSON.parse(run.response.body).state, 'received', 'a claim until the portal confirms it');
    await fx.waitFor(fx.requestIdOf(a, run), (r) => r.state === 'awaiting_signer');
    const forged = { ...run.sent, auth: { ...(run.sent.auth as object), application_token: 'an-old-or-stolen-token' } };
    const refused = await post(`${fx.baseUrl}/b24/robot`, forged);
    assert.equal(refused.status, 403, refused.body);
  });

  it('a UI app installs from its install page (PLACEMENT=DEFAULT) and asks for installFinish', async () => {
    const result = await fx.emulator.installApp(b, `${fx.baseUrl}/b24/app`, { mode: 'page' });
    assert.equal(result.response.status, 200, result.response.body);
    assert.match(result.response.body, /BX24\.installFinish\(\)/);
    assert.match(result.response.headers['content-security-policy'] ?? '', /frame-ancestors https:\/\/portal-b/);
    b.finishInstall();
    assert.equal(b.registrations().robots.length, 1);
    assert.equal((await fx.store.portals.get(b.memberId))?.status, 'installed');
    // The app page opened again later: the same POST, now from an installed portal.
    const again = await fetch(result.response.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: result.response.requestBody,
    });
    assert.equal(again.status, 200);
    assert.doesNotMatch(await again.text(), /installFinish/);
  });

  it('robot, app-page and uninstall calls with a wrong or missing token or an unknown portal: 403, logged', async () => {
    const dealId = fx.deal(a, 'Forged', await makePdf('Forged', 1));
    const run = await fx.emulator.runRobot(a, ROBOT_CODE, { dealId, properties: { signer: 'user_1' } });
    const auth = run.sent.auth as Record<string, string>;
    const robotUrl = `${fx.baseUrl}/b24/robot`;
    const { application_token: _dropped, ...noToken } = auth;
    const cases: [string, string, Record<string, unknown>, string?][] = [
      ['robot, wrong token', robotUrl, { ...run.sent, auth: { ...auth, application_token: 'x'.repeat(32) } }],
      ['robot, no token', robotUrl, { ...run.sent, auth: noToken }],
      ['robot, unknown portal', robotUrl, { ...run.sent, auth: { ...auth, member_id: 'f'.repeat(32) } }],
    ];
    const grant = a.issueTokens(1);
    const pageFields = {
      AUTH_ID: grant.accessToken,
      AUTH_EXPIRES: '3600',
      REFRESH_ID: grant.refreshToken,
      SERVER_ENDPOINT: a.serverEndpoint,
      APPLICATION_TOKEN: a.applicationToken,
      APPLICATION_SCOPE: 'crm,bizproc,placement,user_basic,im,disk',
      member_id: a.memberId,
      status: 'L',
      PLACEMENT: 'DEFAULT',
      PLACEMENT_OPTIONS: '[]',
    };
    const pageQuery = `?DOMAIN=${a.domain}&PROTOCOL=0&LANG=en&APP_SID=test`;
    const own = await post(`${fx.baseUrl}/b24/app`, pageFields, pageQuery);
    assert.equal(own.status, 200, `the right token opens the page: ${own.body}`);
    const appUrl = `${fx.baseUrl}/b24/app`;
    cases.push(['app page, wrong token', appUrl, { ...pageFields, APPLICATION_TOKEN: 'y'.repeat(32) }, pageQuery]);
    cases.push(['app page, unknown portal', appUrl, { ...pageFields, member_id: 'e'.repeat(32) }, pageQuery]);
    const uninstall = (token: string | undefined, memberId = a.memberId) => ({
      event: 'ONAPPUNINSTALL',
      data: { CLEAN: '1' },
      auth: {
        domain: a.domain,
        member_id: memberId,
        client_endpoint: a.clientEndpoint,
        server_endpoint: a.serverEndpoint,
        ...(token === undefined ? {} : { application_token: token }),
      },
    });
    const eventsUrl = `${fx.baseUrl}/b24/events`;
    cases.push(['uninstall, wrong token', eventsUrl, uninstall('z'.repeat(32))]);
    cases.push(['uninstall, no token', eventsUrl, uninstall(undefined)]);
    cases.push(['uninstall, unknown portal', eventsUrl, uninstall(a.applicationToken, 'd'.repeat(32))]);
    for (const [what, url, fields, query] of cases) {
      const answer = await post(url, fields, query ?? '');
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.body}`);
    }
    assert.equal((await fx.store.portals.get(a.memberId))?.status, 'installed', 'nothing was uninstalled');
    const refusals = fx
      .service!.output()
      .split('\n')
      .filter((l) => l.includes('bitrix24 call refused'));
    assert.ok(refusals.length >= cases.length, `every refusal is logged (${refusals.length} lines)`);
    assert.ok(!fx.service!.output().includes(a.applicationToken), 'the real token never reaches the log');
  });

  it('uninstall with the right token: uninstalled (kept), or purged with CLEAN=1', async () => {
    const [kept] = await fx.emulator.uninstallApp(a, { clean: false });
    assert.equal(kept!.response.status, 200, kept!.response.body);
    const portal = await fx.store.portals.get(a.memberId);
    assert.equal(portal?.status, 'uninstalled');
    assert.equal(portal?.tokens, undefined);
    const [purged] = await fx.emulator.uninstallApp(b, { clean: true });
    assert.equal(purged!.response.status, 200, purged!.response.body);
    assert.equal(await fx.store.portals.get(b.memberId), undefined);
  });
});
