/**
 * What an app needs to confirm claims with the portal, over raw HTTP: `bizproc.workflow.instances` (one
 * running instance per robot run, gone when the step closed or the workflow was terminated; SELECT, FILTER
 * with the documented prefixes, ORDER, pages, administrators only), `user.admin` / `profile.ADMIN` as a test
 * switches a user's administrator flag, and what the app's tokens answer after an uninstall (REST and the
 * OAuth server's `app.info`: `invalid_token`; a refresh: `invalid_grant`; tokens left working:
 * `INSTALLED: false`).
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { type CaptureApp, startCaptureApp } from './capture-app.js';
import { callJson, getJson, resultOf } from './raw-http.js';

type Row = Record<string, unknown>;

describe('Bitrix24 emulator: workflow instances, administrators, tokens after uninstall', () => {
  let emulator: PortalEmulator;
  let portal: PortalHandle;
  let app: CaptureApp;
  let admin: string;
  let employee: string;
  let maryId: number;

  before(async () => {
    app = await startCaptureApp();
    emulator = await startPortalEmulator();
    portal = emulator.portal('portal-a.bitrix24.test');
    maryId = portal.createUser({ name: 'Mary' }).id;
    admin = portal.issueTokens(1).accessToken;
    employee = portal.issueTokens(maryId).accessToken;
    await emulator.installApp(portal, `${app.origin}/b24/install`);
    const added = await callJson(portal.clientEndpoint, 'bizproc.robot.add', {
      auth: admin,
      CODE: 'approve_sign_pdf',
      HANDLER: `${app.origin}/b24/robot`,
      USE_SUBSCRIPTION: 'Y',
      NAME: { en: 'Approve & sign PDF' },
      PROPERTIES: { signer: { Name: 'Signer', Type: 'user' } },
    });
    assert.equal(resultOf(added), true);
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  const instances = async (params: Record<string, unknown>, auth = admin) =>
    callJson(portal.clientEndpoint, 'bizproc.workflow.instances', { auth, ...params });

  it('lists one running instance per robot run, with the documented fields, filter, order and pages', async () => {
    const deal = portal.createDeal({ title: 'Contract' }).id;
    const other = portal.createDeal({ title: 'Other' }).id;
    const first = await emulator.runRobot(portal, 'approve_sign_pdf', { dealId: deal, startedBy: maryId });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a later STARTED for the order
    const second = await emulator.runRobot(portal, 'approve_sign_pdf', { dealId: other, templateId: 7 });
    const defaults = await instances({});
    assert.equal(defaults.body.total, 2);
    assert.deepEqual(
      (resultOf(defaults) as Row[]).map((row) => Object.keys(row).sort()),
      [
        ['ID', 'MODIFIED', 'OWNED_UNTIL'],
        ['ID', 'MODIFIED', 'OWNED_UNTIL'],
      ],
      'the default SELECT',
    );
    assert.deepEqual(
      (resultOf(defaults) as Row[]).map((row) => row.ID),
      [second.workflowId, first.workflowId],
      'the default ORDER is MODIFIED desc',
    );
    const all = ['ID', 'MODIFIED', 'OWNED_UNTIL', 'MODULE_ID', 'ENTITY', 'DOCUMENT_ID', 'STARTED', 'STARTED_BY'];
    const select = [...all, 'TEMPLATE_ID'];
    const one = resultOf(await instances({ select, filter: { ID: first.workflowId } })) as Row[];
    assert.equal(one.length, 1);
    const row = one[0] as Row;
    assert.equal(row.ID, first.workflowId);
    assert.equal(row.MODULE_ID, 'crm');
    assert.equal(row.ENTITY, 'CCrmDocumentDeal');
    assert.equal(row.DOCUMENT_ID, `DEAL_${deal}`);
    assert.equal(row.STARTED_BY, String(maryId), 'strings, as in the docs');
    assert.equal(row.TEMPLATE_ID, '1');
    assert.equal(row.OWNED_UNTIL, null);
    assert.match(String(row.STARTED), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    const byDocument = resultOf(await instances({ select: ['ID'], filter: { DOCUMENT_ID: `DEAL_${other}` } }));
    assert.deepEqual(byDocument, [{ ID: second.workflowId }]);
    const notMary = resultOf(await instances({ select: ['ID'], filter: { '!STARTED_BY': maryId } }));
    assert.deepEqual(notMary, [{ ID: second.workflowId }]);
    const startedAfter = resultOf(
      await instances({ select: ['ID'], filter: { '>STARTED': row.STARTED }, order: { STARTED: 'asc' } }),
    );
    assert.deepEqual(startedAfter, [{ ID: second.workflowId }]);
    const ascending = resultOf(await instances({ select: ['ID'], order: { STARTED: 'asc' } })) as Row[];
    assert.deepEqual(
      ascending.map((r) => r.ID),
      [first.workflowId, second.workflowId],
    );
    const unknown = await instances({ select: ['ID', 'NOPE'] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error, 'ERROR_ARGUMENT');
    const alias = await callJson(portal.clientEndpoint, 'bizproc.workflow.instance.list', { auth: admin });
    assert.equal(alias.body.total, 2, 'the old alias answers the same');
    const denied = await instances({}, employee);
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.body, { error: 'ACCESS_DENIED', error_description: 'Access denied!' });
    // Closing the step ends the workflow; terminating it too.
    resultOf(
      await callJson(portal.clientEndpoint, 'bizproc.event.send', { auth: admin, EVENT_TOKEN: first.eventToken }),
    );
    portal.terminateWorkflow(second.workflowId);
    const after = await instances({ filter: { ID: [first.workflowId, second.workflowId] } });
    assert.deepEqual(resultOf(after), []);
    assert.equal(after.body.total, 0);
  });

  it('pages instances by 50 with total and next', async () => {
    const deal = portal.createDeal({ title: 'Many' }).id;
    for (let i = 0; i < 55; i++) await emulator.runRobot(portal, 'approve_sign_pdf', { dealId: deal });
    const page1 = await instances({ select: ['ID'], filter: { DOCUMENT_ID: `DEAL_${deal}` } });
    assert.equal((resultOf(page1) as Row[]).length, 50);
    assert.equal(page1.body.total, 55);
    assert.equal(page1.body.next, 50);
    const page2 = await instances({ select: ['ID'], filter: { DOCUMENT_ID: `DEAL_${deal}` }, start: 50 });
    assert.equal((resultOf(page2) as Row[]).length, 5);
    assert.equal(page2.body.next, undefined);
  });

  it('answers user.admin and profile.ADMIN as a test sets the administrator flag', async () => {
    const isAdmin = async () => resultOf(await callJson(portal.clientEndpoint, 'user.admin', { auth: employee }));
    const profileAdmin = async () =>
      (resultOf(await callJson(portal.clientEndpoint, 'profile', { auth: employee })) as Row).ADMIN;
    assert.equal(await isAdmin(), false);
    assert.equal(portal.updateUser(maryId, { admin: true }).admin, true);
    assert.equal(await isAdmin(), true);
    assert.equal(await profileAdmin(), true);
    portal.updateUser(maryId, { admin: false });
    assert.equal(await isAdmin(), false);
    assert.equal(await profileAdmin(), false);
    portal.updateUser(maryId, { active: false });
    const refused = await callJson(portal.clientEndpoint, 'user.admin', { auth: employee });
    assert.equal(refused.body.error, 'invalid_token', 'an inactive user has no working token');
    portal.updateUser(maryId, { active: true });
  });

  it('after an uninstall the stored tokens answer invalid_token and a refresh invalid_grant; kept tokens see INSTALLED=false', async () => {
    const other = emulator.addPortal({ domain: 'gone.bitrix24.test' });
    const installed = await emulator.installApp(other, `${app.origin}/b24/install`);
    const { accessToken, refreshToken } = installed.grant;
    const refresh = (of: PortalHandle, token: string) =>
      getJson(
        `${emulator.tokenEndpoint}?grant_type=refresh_token&client_id=${of.clientId}&client_secret=${of.clientSecret}&refresh_token=${token}`,
      );
    await emulator.uninstallApp(other);
    const rest = await callJson(other.clientEndpoint, 'app.info', { auth: accessToken });
    assert.equal(rest.status, 401);
    assert.equal(rest.body.error, 'invalid_token');
    const server = await callJson(emulator.serverEndpoint, 'app.info', { auth: accessToken });
    assert.equal(server.body.error, 'invalid_token');
    const refreshed = await refresh(other, refreshToken);
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body.error, 'invalid_grant', 'the refresh token was revoked');

    const lagging = emulator.addPortal({ domain: 'lagging.bitrix24.test' });
    const again = await emulator.installApp(lagging, `${app.origin}/b24/install`);
    await emulator.uninstallApp(lagging, { keepTokens: true });
    const info = resultOf(await callJson(lagging.clientEndpoint, 'app.info', { auth: again.grant.accessToken }));
    assert.equal((info as Row).INSTALLED, false);
    const serverInfo = resultOf(await callJson(emulator.serverEndpoint, 'app.info', { auth: again.grant.accessToken }));
    assert.equal(((serverInfo as Row).install as Row).installed, false);
  });
});
