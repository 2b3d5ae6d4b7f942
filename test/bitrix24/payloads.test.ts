/**
 * Inbound payloads as the portal emulator sends them over the wire (install event and install page, app
 * update and uninstall events, a robot call, a placement page), through parseFormBody and the zod schemas;
 * then storing the install and checking application_tokens against it.
 */
import assert from 'node:assert/strict';
import { parseFormBody } from '../../shared/bitrix24/form-body.js';
import {
  dealIdOf,
  parseB24Payload,
  ZAppUninstallEvent,
  ZAppUpdateEvent,
  ZInstallEvent,
  ZPlacementBody,
  ZPlacementQuery,
  ZRobotCall,
} from '../../shared/bitrix24/payloads.js';
import { savePortalInstall } from '../../shared/bitrix24/save-portal-install.js';
import { verifyApplicationToken } from '../../shared/bitrix24/verify-application-token.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { rejectsWith } from '../store/store-fixtures.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { B24Fixture, TEST_POLICY } from './b24-fixture.js';

describe('Bitrix24 inbound payloads from the portal emulator', function () {
  this.timeout(60_000);
  const fx = new B24Fixture();
  let portal: PortalHandle;
  const save = (auth: Parameters<typeof savePortalInstall>[1]) =>
    savePortalInstall({ portals: fx.store.portals, masterKey: fx.masterKey, policy: TEST_POLICY }, auth, new Date());

  before(async () => {
    await fx.start({ portals: [{ domain: 'portal-a.bitrix24.test' }, { domain: 'portal-b.bitrix24.test' }] });
    portal = fx.emulator.portal('portal-a.bitrix24.test');
  });
  after(() => fx.close());

  it('ONAPPINSTALL: parsed, stored (tokens sealed, application token hashed), then verifies inbound calls', async () => {
    const result = await fx.emulator.installApp(portal, `${fx.app.origin}/b24/install`);
    const received = fx.app.last('/b24/install');
    assert.equal(received.contentType, 'application/x-www-form-urlencoded');
    assert.equal(received.body.toString(), result.response.requestBody, 'the app saw the exact wire body');
    const event = parseB24Payload(ZInstallEvent, parseFormBody(received.body), 'install event');
    assert.equal(event.event, 'ONAPPINSTALL');
    assert.equal(event.data.VERSION, '1');
    assert.equal(event.auth.member_id, portal.memberId);
    assert.equal(event.auth.access_token, result.grant.accessToken);
    assert.equal(event.auth.refresh_token, result.grant.refreshToken);
    assert.equal(event.auth.client_endpoint, portal.clientEndpoint);
    assert.equal(typeof event.auth.expires_in, 'number');
    assert.equal(event.auth.user_id, 1);

    const stored = await save(event.auth);
    assert.equal(stored.status, 'installed');
    assert.equal(stored.clientEndpoint, portal.clientEndpoint);
    assert.ok(!JSON.stringify(stored).includes(result.grant.accessToken), 'no token in clear in the record');
    assert.ok(!JSON.stringify(stored).includes(portal.applicationToken), 'no application token in clear');
    assert.equal(
      (await verifyApplicationToken(fx.store.portals, portal.memberId, portal.applicationToken)).memberId,
      portal.memberId,
    );
    await rejectsWith(
      verifyApplicationToken(fx.store.portals, portal.memberId, `${portal.applicationToken}x`),
      ErrorCode.B24_FORBIDDEN,
    );
    await rejectsWith(
      verifyApplicationToken(fx.store.portals, 'unknown-member', portal.applicationToken),
      ErrorCode.B24_FORBIDDEN,
    );
  });

  it('the robot call: document ids as tuples, multiple properties as arrays, full auth block', async () => {
    const client = fx.client(portal);
    await client.call(portal.memberId, 'bizproc.robot.add', {
      CODE: 'approve_sign_pdf',
      HANDLER: `${fx.app.origin}/b24/robot`,
      AUTH_USER_ID: 1,
      NAME: { en: 'Approve and sign PDF' },
      USE_SUBSCRIPTION: 'Y',
      PROPERTIES: {
        signer: { Name: { en: 'Signer' }, Type: 'user', Required: 'Y' },
        watchers: { Name: { en: 'Watchers' }, Type: 'user', Multiple: 'Y' },
        message: { Name: { en: 'Message' }, Type: 'text' },
      },
    });
    const deal = portal.createDeal({ title: 'Contract' });
    const run = await fx.emulator.runRobot(portal, 'approve_sign_pdf', {
      dealId: deal.id,
      properties: { signer: 'user_1', watchers: ['user_1', 'user_2'], message: 'Sign & return: "Договор"' },
    });
    const call = parseB24Payload(ZRobotCall, parseFormBody(fx.app.last('/b24/robot').body), 'robot call');
    assert.equal(call.workflow_id, run.workflowId);
    assert.equal(call.event_token, run.eventToken);
    assert.equal(call.code, 'approve_sign_pdf');
    assert.deepEqual(call.document_type, ['crm', 'CCrmDocumentDeal', 'DEAL']);
    assert.equal(dealIdOf(call.document_id), deal.id);
    assert.deepEqual(call.properties, {
      signer: 'user_1',
      watchers: ['user_1', 'user_2'],
      message: 'Sign & return: "Договор"',
    });
    assert.equal(call.use_subscription, 'Y');
    assert.equal(call.timeout_duration, 0);
    assert.equal(call.auth.application_token, portal.applicationToken);
    assert.equal(call.auth.member_id, portal.memberId);
    assert.ok(call.auth.access_token.length > 0 && call.auth.scope.includes('bizproc'));
    await verifyApplicationToken(fx.store.portals, call.auth.member_id, call.auth.application_token);
  });

  it('the placement page: query and body, PLACEMENT_OPTIONS decoded from its JSON string', async () => {
    const client = fx.client(portal);
    await client.call(portal.memberId, 'placement.bind', {
      PLACEMENT: 'CRM_DEAL_DETAIL_TOOLBAR',
      HANDLER: `${fx.app.origin}/b24/placement`,
      TITLE: 'Sign',
    });
    const deal = portal.createDeal({ title: 'Placement deal' });
    await fx.emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', 1, { dealId: deal.id });
    const received = fx.app.last('/b24/placement');
    const query = parseB24Payload(ZPlacementQuery, Object.fromEntries(received.query), 'placement query');
    const body = parseB24Payload(ZPlacementBody, parseFormBody(received.body), 'placement body');
    assert.equal(query.DOMAIN, portal.domain);
    assert.equal(body.PLACEMENT, 'CRM_DEAL_DETAIL_TOOLBAR');
    assert.equal(body.PLACEMENT_OPTIONS.ID, String(deal.id));
    assert.equal(body.member_id, portal.memberId);
    assert.equal(typeof body.AUTH_EXPIRES, 'number');
    await verifyApplicationToken(fx.store.portals, body.member_id, body.APPLICATION_TOKEN);
    const broken = parseFormBody(received.body);
    broken.PLACEMENT_OPTIONS = '{"ID":';
    const error = (() => {
      try {
        parseB24Payload(ZPlacementBody, broken, 'placement body');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof AppError && error.code === ErrorCode.B24_INVALID_PAYLOAD);
    assert.match(error.message, /PLACEMENT_OPTIONS: expected a JSON object/);
    assert.ok(!error.message.includes(body.AUTH_ID), 'values are not echoed');
  });

  it('the install page (UI app): the same frame POST with PLACEMENT=DEFAULT', async () => {
    const other = fx.emulator.portal('portal-b.bitrix24.test');
    await fx.emulator.installApp(other, `${fx.app.origin}/b24/install-page`, { mode: 'page' });
    const received = fx.app.last('/b24/install-page');
    const body = parseB24Payload(ZPlacementBody, parseFormBody(received.body), 'install page');
    assert.equal(body.PLACEMENT, 'DEFAULT');
    assert.deepEqual(body.PLACEMENT_OPTIONS, {});
    assert.ok(body.REFRESH_ID);
    assert.equal(parseB24Payload(ZPlacementQuery, Object.fromEntries(received.query), 'query').DOMAIN, other.domain);
  });

  it('ONAPPUPDATE replaces the application token (the refresh token is kept); ONAPPUNINSTALL with CLEAN purges', async () => {
    const client = fx.client(portal);
    for (const event of ['ONAPPUPDATE', 'ONAPPUNINSTALL']) {
      await client.call(portal.memberId, 'event.bind', { event, handler: `${fx.app.origin}/b24/events` });
    }
    const oldToken = portal.applicationToken;
    await fx.emulator.updateApp(portal);
    const update = parseB24Payload(ZAppUpdateEvent, parseFormBody(fx.app.last('/b24/events').body), 'update event');
    assert.equal(update.event, 'ONAPPUPDATE');
    assert.equal(update.data.PREVIOUS_VERSION, '1');
    assert.equal(update.auth.refresh_token, undefined);
    await verifyApplicationToken(fx.store.portals, portal.memberId, oldToken);
    const updated = await save(update.auth);
    assert.equal(updated.version, 2);
    await verifyApplicationToken(fx.store.portals, portal.memberId, portal.applicationToken);
    await rejectsWith(verifyApplicationToken(fx.store.portals, portal.memberId, oldToken), ErrorCode.B24_FORBIDDEN);
    fx.client(portal).forget(portal.memberId);
    assert.equal(
      (await fx.client(portal).call<{ ID: string }>(portal.memberId, 'user.current')).result.ID,
      '1',
      'the kept refresh pair still works',
    );

    await fx.emulator.uninstallApp(portal, { clean: true });
    const gone = parseB24Payload(ZAppUninstallEvent, parseFormBody(fx.app.last('/b24/events').body), 'uninstall event');
    assert.equal(gone.data.CLEAN, true);
    assert.equal((gone.auth as Record<string, unknown>).access_token, undefined, 'no tokens on uninstall');
    await verifyApplicationToken(fx.store.portals, gone.auth.member_id, gone.auth.application_token);
    assert.equal(await fx.store.portals.markUninstalled(gone.auth.member_id, new Date(), gone.data.CLEAN), true);
    await rejectsWith(
      verifyApplicationToken(fx.store.portals, portal.memberId, portal.applicationToken),
      ErrorCode.B24_FORBIDDEN,
    );
    await rejectsWith(fx.client(portal).call(portal.memberId, 'user.current'), ErrorCode.B24_AUTH_FAILED);
  });

  it('refuses malformed payloads with B24_INVALID_PAYLOAD naming fields, not values', () => {
    const bad = parseFormBody(
      'event=ONAPPINSTALL&data[VERSION]=1&ts=x&auth[member_id]=a%20b&auth[access_token]=secret-value-1',
    );
    try {
      parseB24Payload(ZInstallEvent, bad, 'install event');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof AppError && e.code === ErrorCode.B24_INVALID_PAYLOAD);
      assert.match(e.message, /ts: expected digits/);
      assert.match(e.message, /auth\.member_id: expected a member id/);
      assert.ok(!e.message.includes('secret-value-1'));
    }
    const wrongEvent = parseFormBody(
      'event=ONAPPUNINSTALL&data[CLEAN]=0&auth[member_id]=m&auth[domain]=x.bitrix24.com',
    );
    assert.throws(() => parseB24Payload(ZInstallEvent, wrongEvent, 'install event'), /event/);
  });
});
