/**
 * What an app registers and how the workflow comes back, over raw HTTP: bizproc.robot.* / bizproc.activity.*
 * validation and errors, bizproc.event.send with valid, used, forged and unsubscribed event tokens,
 * bizproc.activity.log, placements and event handlers, and the update that deletes robots.
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { type CaptureApp, startCaptureApp } from './capture-app.js';
import { callForm, callJson, resultOf } from './raw-http.js';

describe('Bitrix24 emulator: robots, workflow return, placements, events', () => {
  let emulator: PortalEmulator;
  let portal: PortalHandle;
  let app: CaptureApp;
  let admin: string;
  let employee: string;
  let dealId: number;

  function robot(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      auth: admin,
      CODE: 'approve_sign_pdf',
      HANDLER: `${app.origin}/b24/robot`,
      AUTH_USER_ID: 1,
      USE_SUBSCRIPTION: 'Y',
      NAME: { en: 'Approve & sign PDF' },
      PROPERTIES: {
        signer: { Name: { en: 'Signer' }, Type: 'user', Required: 'Y' },
        fileField: { Name: 'File field', Type: 'string', Default: 'UF_CRM_CONTRACT_PDF' },
      },
      RETURN_PROPERTIES: { signed: { Name: 'Signed', Type: 'bool' }, signedBy: { Name: 'Signed by', Type: 'user' } },
      FILTER: { INCLUDE: [['crm', 'CCrmDocumentDeal']] },
      ...overrides,
    };
  }

  before(async () => {
    app = await startCaptureApp();
    emulator = await startPortalEmulator();
    portal = emulator.portal('portal-a.bitrix24.test');
    await emulator.installApp(portal, `${app.origin}/b24/install`);
    admin = portal.issueTokens(1).accessToken;
    employee = portal.issueTokens(portal.createUser({ name: 'Mary' }).id).accessToken;
    dealId = portal.createDeal({ title: 'Deal' }).id;
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  it('registers a robot once and reports the documented validation errors', async () => {
    assert.equal(resultOf(await callJson(portal.clientEndpoint, 'bizproc.robot.add', robot())), true);
    const again = await callJson(portal.clientEndpoint, 'bizproc.activity.add', robot());
    assert.equal(again.body.error, 'ERROR_ACTIVITY_ALREADY_INSTALLED', 'robots and activities share one CODE space');
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ auth: employee }, 'ACCESS_DENIED', 'Access denied!'],
      [{ CODE: 'bad code!' }, 'ERROR_ACTIVITY_VALIDATION_FAILURE', 'Wrong activity code!'],
      [{ CODE: 'x1', NAME: '' }, 'ERROR_ACTIVITY_VALIDATION_FAILURE', 'Empty activity NAME!'],
      [
        { CODE: 'x2', PROPERTIES: { '1st': { Name: 'x' } } },
        'ERROR_ACTIVITY_VALIDATION_FAILURE',
        'Wrong property key (1st)!',
      ],
      [
        { CODE: 'x3', PROPERTIES: { ok: { Type: 'string' } } },
        'ERROR_ACTIVITY_VALIDATION_FAILURE',
        'Empty property NAME (ok)!',
      ],
      [{ CODE: 'x4', HANDLER: 'https://elsewhere.example.test/robot' }, 'ERROR_WRONG_HANDLER_URL', undefined],
      [{ CODE: 'x5', HANDLER: 'ftp://files.example.test/robot' }, 'ERROR_UNSUPPORTED_PROTOCOL', undefined],
      [
        { CODE: 'x6', DOCUMENT_TYPE: ['crm', 'CCrmDocumentDeal'] },
        'ERROR_ACTIVITY_VALIDATION_FAILURE',
        'Wrong activity DOCUMENT_TYPE!',
      ],
    ];
    for (const [overrides, code, description] of cases) {
      const answer = await callJson(portal.clientEndpoint, 'bizproc.robot.add', robot(overrides));
      assert.equal(answer.body.error, code, JSON.stringify(overrides));
      if (description !== undefined) assert.equal(answer.body.error_description, description);
    }
    // A form-encoded property list arrives with numeric keys: the core's "Wrong property key (0)!".
    const form = `auth=${admin}&CODE=x7&HANDLER=${encodeURIComponent(`${app.origin}/r`)}&NAME=x&PROPERTIES%5B0%5D%5BName%5D=x`;
    const formAnswer = await callForm(portal.clientEndpoint, 'bizproc.robot.add', form);
    assert.equal(formAnswer.body.error_description, 'Wrong property key (0)!');
    assert.deepEqual(resultOf(await callJson(portal.clientEndpoint, 'bizproc.robot.list', { auth: admin })), [
      'approve_sign_pdf',
    ]);
    assert.deepEqual(resultOf(await callJson(portal.clientEndpoint, 'bizproc.activity.list', { auth: admin })), []);
    assert.equal(portal.registrations().robots[0]?.useSubscription, 'Y');
  });

  it('accepts bizproc.event.send once per token and answers ACCESS_DENIED for used, forged and unknown tokens', async () => {
    const run = await emulator.runRobot(portal, 'approve_sign_pdf', { dealId, properties: { signer: 'user_2' } });
    const send = (token: string, auth = employee) =>
      callJson(portal.clientEndpoint, 'bizproc.event.send', {
        auth,
        event_token: token,
        RETURN_VALUES: { SIGNED: 'Y', signedBy: 'user_2', unknownKey: 'x' },
        LOG_MESSAGE: 'Signed',
      });
    const first = await send(run.eventToken);
    assert.deepEqual(resultOf(first), true, 'any user of the portal may send');
    const used = await send(run.eventToken, admin);
    assert.equal(used.status, 403);
    assert.deepEqual(used.body, { error: 'ACCESS_DENIED', error_description: 'Access denied!' });
    const forged = await send(`${run.eventToken.slice(0, -1)}0`);
    assert.equal(forged.body.error, 'ACCESS_DENIED');
    const unknown = await send('68c2a9f1e2b3c4.12345678|A1_2_3_4|abc.def');
    assert.equal(unknown.body.error, 'ACCESS_DENIED');
    const calls = portal.eventSendCalls();
    assert.deepEqual(
      calls.map((call) => call.accepted),
      [true, false, false, false],
    );
    assert.deepEqual(calls[0]?.matchedReturnValues, { signed: 'Y', signedBy: 'user_2' });
    assert.equal(portal.workflowSteps().find((step) => step.workflowId === run.workflowId)?.state, 'closed');
  });

  it('refuses event.send for a step that does not wait (USE_SUBSCRIPTION=N) and logs with bizproc.activity.log', async () => {
    const run = await emulator.runRobot(portal, 'approve_sign_pdf', { dealId, useSubscription: 'N' });
    const sent = await callJson(portal.clientEndpoint, 'bizproc.event.send', {
      auth: admin,
      EVENT_TOKEN: run.eventToken,
    });
    assert.equal(sent.body.error, 'ACCESS_DENIED');
    const waiting = await emulator.runRobot(portal, 'approve_sign_pdf', { dealId });
    const log = { auth: admin, EVENT_TOKEN: waiting.eventToken, LOG_MESSAGE: 'Waiting for Mary' };
    assert.equal(resultOf(await callJson(portal.clientEndpoint, 'bizproc.activity.log', log)), true);
    const empty = await callJson(portal.clientEndpoint, 'bizproc.activity.log', { ...log, LOG_MESSAGE: '' });
    assert.equal(empty.body.error, 'ERROR_EMPTY_LOG_MESSAGE');
    assert.deepEqual(
      portal.activityLogs().map((entry) => [entry.message, entry.workflowId]),
      [['Waiting for Mary', waiting.workflowId]],
    );
    assert.equal(portal.workflowSteps().find((step) => step.eventToken === waiting.eventToken)?.state, 'waiting');
    portal.terminateWorkflow(waiting.workflowId);
    const late = await callJson(portal.clientEndpoint, 'bizproc.event.send', {
      auth: admin,
      EVENT_TOKEN: waiting.eventToken,
    });
    assert.equal(late.body.error, 'ACCESS_DENIED');
  });

  it('binds, lists and unbinds placements and event handlers; a duplicate bind is refused', async () => {
    const bind = {
      auth: admin,
      PLACEMENT: 'CRM_DEAL_DETAIL_TOOLBAR',
      HANDLER: `${app.origin}/b24/sign`,
      TITLE: 'Sign',
    };
    assert.equal(resultOf(await callJson(portal.clientEndpoint, 'placement.bind', bind)), true);
    const duplicate = await callJson(portal.clientEndpoint, 'placement.bind', bind);
    assert.match(String(duplicate.body.error_description), /Handler already binded/);
    const missing = await callJson(portal.clientEndpoint, 'placement.bind', {
      auth: admin,
      PLACEMENT: 'CRM_DEAL_DETAIL_TAB',
    });
    assert.deepEqual(missing.body, {
      error: 'ERROR_ARGUMENT',
      error_description: "Argument 'HANDLER' is null or empty",
      argument: 'HANDLER',
    });
    const listed = resultOf(await callJson(portal.clientEndpoint, 'placement.get', { auth: admin })) as Record<
      string,
      unknown
    >[];
    assert.deepEqual(
      listed.map((row) => [row.placement, row.handler, row.title]),
      [['CRM_DEAL_DETAIL_TOOLBAR', `${app.origin}/b24/sign`, 'Sign']],
    );
    const events = { auth: admin, event: 'ONAPPUNINSTALL', handler: `${app.origin}/b24/uninstall` };
    assert.equal(resultOf(await callJson(portal.clientEndpoint, 'event.bind', events)), true);
    const eventList = resultOf(await callJson(portal.clientEndpoint, 'event.get', { auth: admin })) as Record<
      string,
      unknown
    >[];
    assert.deepEqual(eventList[0], {
      event: 'ONAPPUNINSTALL',
      handler: `${app.origin}/b24/uninstall`,
      auth_type: '0',
      offline: 0,
    });
    const bogus = await callJson(portal.clientEndpoint, 'event.bind', { ...events, event: 'ONNOTHING' });
    assert.equal(bogus.body.error, 'ERROR_EVENT_NOT_FOUND');
    const unbound = resultOf(
      await callJson(portal.clientEndpoint, 'placement.unbind', { auth: admin, PLACEMENT: 'CRM_DEAL_DETAIL_TAB' }),
    );
    assert.deepEqual(unbound, { count: 0 });
  });

  it('deletes robots and activities on app update, keeps placements, and changes the application_token', async () => {
    const before = portal.applicationToken;
    await emulator.updateApp(portal);
    assert.notEqual(portal.applicationToken, before);
    assert.deepEqual(resultOf(await callJson(portal.clientEndpoint, 'bizproc.robot.list', { auth: admin })), []);
    assert.equal(portal.registrations().placements.length, 1);
    const info = resultOf(await callJson(portal.clientEndpoint, 'app.info', { auth: admin })) as Record<
      string,
      unknown
    >;
    assert.equal(info.VERSION, 2);
    assert.equal(info.INSTALLED, true);
    assert.equal(
      resultOf(await callJson(portal.clientEndpoint, 'bizproc.robot.add', robot())),
      true,
      're-register after update',
    );
  });
});
