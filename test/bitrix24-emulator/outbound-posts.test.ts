/**
 * The emulator acting as Bitrix24 calling the app: ONAPPINSTALL, the UI install page, robot calls, placement
 * POSTs, the browser launcher, ONAPPUPDATE and ONAPPUNINSTALL. Every body is parsed back with a PHP
 * bracket-key parser written here (qs-style, independent of the emulator's encoder) into the structure the
 * reference documents, and the tokens inside are tried against the emulator.
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { type CaptureApp, type CapturedRequest, startCaptureApp } from './capture-app.js';
import { callJson, getJson, resultOf } from './raw-http.js';

type Tree = { [key: string]: string | Tree | Tree[] | string[] };

/** qs-style: `a[b][0]=x` → {a: {b: ['x']}}; objects with keys 0..n-1 become arrays. */
function parseBracketForm(body: string): Tree {
  const root: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const head = name.split('[')[0] as string;
    const path = [head, ...Array.from(name.matchAll(/\[([^\]]*)\]/g), (match) => match[1] as string)];
    let node = root;
    path.forEach((key, index) => {
      if (index === path.length - 1) {
        node[key] = value;
        return;
      }
      if (node[key] === undefined) node[key] = {};
      node = node[key] as Record<string, unknown>;
    });
  }
  return toArrays(root) as Tree;
}

function toArrays(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, toArrays(item)] as const);
  if (entries.length > 0 && entries.every(([key], index) => key === String(index)))
    return entries.map(([, item]) => item);
  return Object.fromEntries(entries);
}

const AUTH_KEYS = [
  'access_token',
  'application_token',
  'client_endpoint',
  'domain',
  'expires',
  'expires_in',
  'member_id',
  'refresh_token',
  'scope',
  'server_endpoint',
  'status',
  'user_id',
];

describe('Bitrix24 emulator: outbound POSTs to the app', () => {
  let emulator: PortalEmulator;
  let portal: PortalHandle;
  let app: CaptureApp;
  let dealId: number;
  let mary: number;

  function last(path: string): CapturedRequest {
    const found = app.requests.filter((request) => request.url.split('?')[0] === path).at(-1);
    if (found === undefined) throw new Error(`the app got no request at ${path}`);
    return found;
  }

  before(async () => {
    app = await startCaptureApp();
    emulator = await startPortalEmulator();
    portal = emulator.portal('portal-a.bitrix24.test');
    mary = portal.createUser({ name: 'Mary', lastName: 'Smith', language: 'de' }).id;
    dealId = portal.createDeal({ title: 'Contract' }).id;
  });
  after(async () => {
    await emulator.close();
    await app.close();
  });

  it('POSTs ONAPPINSTALL form-encoded with auth[...] as documented, with working tokens', async () => {
    const result = await emulator.installApp(portal, `${app.origin}/b24/install`);
    assert.equal(result.response.status, 200);
    const request = last('/b24/install');
    assert.equal(request.method, 'POST');
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(request.body, /(^|&)auth%5Baccess_token%5D=/, 'brackets travel percent-encoded');
    const body = parseBracketForm(request.body);
    assert.deepEqual(Object.keys(body).sort(), ['auth', 'data', 'event', 'ts']);
    assert.equal(body.event, 'ONAPPINSTALL');
    assert.deepEqual(body.data, { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' });
    const auth = body.auth as Record<string, string>;
    assert.deepEqual(Object.keys(auth).sort(), AUTH_KEYS);
    assert.equal(auth.domain, portal.domain);
    assert.equal(auth.member_id, portal.memberId);
    assert.equal(auth.client_endpoint, portal.clientEndpoint);
    assert.equal(auth.server_endpoint, emulator.serverEndpoint);
    assert.equal(auth.application_token, portal.applicationToken);
    assert.equal(auth.user_id, '1');
    assert.equal(auth.scope, 'crm,bizproc,placement,user_basic,im,disk');
    assert.equal(Number(auth.expires) - Number(body.ts), 3600);
    const info = resultOf(await callJson(auth.client_endpoint as string, 'app.info', { auth: auth.access_token }));
    assert.equal((info as Record<string, unknown>).INSTALLED, true);
    const refreshed = await getJson(
      `${emulator.tokenEndpoint}?grant_type=refresh_token&client_id=${portal.clientId}&client_secret=${portal.clientSecret}&refresh_token=${auth.refresh_token}`,
    );
    assert.equal(refreshed.status, 200);
  });

  it('POSTs the UI install page with PLACEMENT=DEFAULT; the app counts as installed only after installFinish', async () => {
    const other = emulator.addPortal({ domain: 'ui-app.bitrix24.test' });
    await emulator.installApp(other, `${app.origin}/b24/app`, { mode: 'page' });
    const request = last('/b24/app');
    const query = Object.fromEntries(new URL(request.url, app.origin).searchParams);
    assert.deepEqual(Object.keys(query).sort(), ['APP_SID', 'DOMAIN', 'LANG', 'PROTOCOL']);
    assert.equal(query.DOMAIN, other.domain);
    const body = parseBracketForm(request.body);
    assert.equal(body.PLACEMENT, 'DEFAULT');
    assert.equal(body.member_id, other.memberId);
    assert.equal(body.APPLICATION_TOKEN, other.applicationToken);
    const installed = async () =>
      (resultOf(await callJson(other.clientEndpoint, 'app.info', { auth: body.AUTH_ID })) as Record<string, unknown>)
        .INSTALLED;
    assert.equal(await installed(), false);
    other.finishInstall();
    assert.equal(await installed(), true);
  });

  it('POSTs a robot call with workflow_id, document_id[], event_token, properties[...] and auth[...]', async () => {
    const token = portal.issueTokens(1).accessToken;
    const added = await callJson(portal.clientEndpoint, 'bizproc.robot.add', {
      auth: token,
      CODE: 'approve_sign_pdf',
      HANDLER: `${app.origin}/b24/robot`,
      AUTH_USER_ID: mary,
      USE_SUBSCRIPTION: 'Y',
      NAME: { en: 'Approve & sign PDF' },
      PROPERTIES: {
        signer: { Name: 'Signer', Type: 'user' },
        fileField: { Name: 'File field', Type: 'string', Default: 'UF_CRM_CONTRACT_PDF' },
        watchers: { Name: 'Watchers', Type: 'user', Multiple: 'Y' },
        message: { Name: 'Message', Type: 'text', Default: '{=Document:TITLE}' },
      },
    });
    assert.equal(resultOf(added), true);
    const run = await emulator.runRobot(portal, 'approve_sign_pdf', {
      dealId,
      properties: { signer: `user_${mary}`, watchers: ['user_1', `user_${mary}`] },
    });
    const body = parseBracketForm(last('/b24/robot').body);
    const expectedKeys = [
      'auth',
      'code',
      'document_id',
      'document_type',
      'event_token',
      'properties',
      'timeout_duration',
      'ts',
    ];
    assert.deepEqual(Object.keys(body).sort(), [...expectedKeys, 'use_subscription', 'workflow_id'].sort());
    assert.equal(body.workflow_id, run.workflowId);
    assert.match(run.workflowId, /^[0-9a-f]{14}\.\d{8}$/);
    assert.equal(body.code, 'approve_sign_pdf');
    assert.deepEqual(body.document_id, ['crm', 'CCrmDocumentDeal', `DEAL_${dealId}`]);
    assert.deepEqual(body.document_type, ['crm', 'CCrmDocumentDeal', 'DEAL']);
    assert.equal(body.event_token, run.eventToken);
    assert.match(run.eventToken, /^[0-9a-f]{14}\.\d{8}\|A\d{5}_\d{5}_\d{5}_\d{5}\|[A-Za-z0-9]{32}\.[0-9a-f]{64}$/);
    assert.deepEqual(body.properties, {
      signer: `user_${mary}`,
      fileField: 'UF_CRM_CONTRACT_PDF',
      watchers: ['user_1', `user_${mary}`],
      message: '',
    });
    assert.equal(body.use_subscription, 'Y');
    assert.equal(body.timeout_duration, '0');
    const auth = body.auth as Record<string, string>;
    assert.deepEqual(Object.keys(auth).sort(), AUTH_KEYS);
    assert.equal(auth.user_id, String(mary), 'the token is the AUTH_USER_ID user');
    const me = resultOf(await callJson(portal.clientEndpoint, 'user.current', { auth: auth.access_token }));
    assert.equal((me as Record<string, unknown>).ID, String(mary));
  });

  it('POSTs a placement as the browser does: query DOMAIN/PROTOCOL/LANG/APP_SID, AUTH_ID of the opener, JSON options', async () => {
    const token = portal.issueTokens(1).accessToken;
    await callJson(portal.clientEndpoint, 'placement.bind', {
      auth: token,
      PLACEMENT: 'CRM_DEAL_DETAIL_TOOLBAR',
      HANDLER: `${app.origin}/b24/sign`,
      TITLE: 'Sign',
    });
    app.answer('/b24/sign', 200, '<!doctype html><p>Sign dialog</p>', { 'Content-Type': 'text/html' });
    const opened = await emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TOOLBAR', mary, { dealId });
    assert.equal(opened.response.status, 200);
    assert.equal(opened.response.body, '<!doctype html><p>Sign dialog</p>');
    const request = last('/b24/sign');
    const query = Object.fromEntries(new URL(request.url, app.origin).searchParams);
    assert.deepEqual(query.DOMAIN, portal.domain);
    assert.equal(query.PROTOCOL, '0');
    assert.equal(query.LANG, 'de', "the opener's language");
    assert.match(query.APP_SID ?? '', /^[0-9a-f]{32}$/);
    const body = parseBracketForm(request.body);
    const expected = [
      'APPLICATION_SCOPE',
      'APPLICATION_TOKEN',
      'AUTH_EXPIRES',
      'AUTH_ID',
      'PLACEMENT',
      'PLACEMENT_OPTIONS',
    ];
    assert.deepEqual(
      Object.keys(body).sort(),
      [...expected, 'REFRESH_ID', 'SERVER_ENDPOINT', 'member_id', 'status'].sort(),
    );
    assert.equal(body.PLACEMENT, 'CRM_DEAL_DETAIL_TOOLBAR');
    assert.equal(typeof body.PLACEMENT_OPTIONS, 'string', 'PLACEMENT_OPTIONS is a JSON string');
    assert.deepEqual(JSON.parse(body.PLACEMENT_OPTIONS as string), { ID: String(dealId) });
    assert.equal(body.AUTH_EXPIRES, '3600');
    const me = resultOf(await callJson(portal.clientEndpoint, 'user.current', { auth: body.AUTH_ID }));
    assert.equal((me as Record<string, unknown>).ID, String(mary), 'AUTH_ID is the token of the user who opened it');
    await assert.rejects(emulator.openPlacement(portal, 'CRM_DEAL_DETAIL_TAB', mary), /not bound/);
  });

  it('serves a launcher page that form-POSTs the placement into an iframe', async () => {
    const url = emulator.placementLauncherUrl(portal, 'CRM_DEAL_DETAIL_TOOLBAR', mary, { dealId });
    const html = await (await fetch(url)).text();
    assert.match(html, /<iframe name="app-frame"/);
    const action = /<form id="launch" method="post" target="app-frame" action="([^"]+)"/.exec(html)?.[1] ?? '';
    const target = new URL(action.replace(/&#38;/g, '&'));
    assert.equal(target.origin + target.pathname, `${app.origin}/b24/sign`);
    assert.equal(target.searchParams.get('DOMAIN'), portal.domain);
    const inputs = Object.fromEntries(
      Array.from(html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g), (m) => [m[1], m[2]]),
    );
    assert.equal(inputs.PLACEMENT, 'CRM_DEAL_DETAIL_TOOLBAR');
    assert.equal(inputs.member_id, portal.memberId);
    const me = resultOf(await callJson(portal.clientEndpoint, 'user.current', { auth: inputs.AUTH_ID }));
    assert.equal((me as Record<string, unknown>).ID, String(mary));
  });

  it('sends ONAPPUPDATE and ONAPPUNINSTALL to bound handlers; uninstall revokes every token', async () => {
    const token = portal.issueTokens(1).accessToken;
    for (const event of ['ONAPPUPDATE', 'ONAPPUNINSTALL']) {
      await callJson(portal.clientEndpoint, 'event.bind', { auth: token, event, handler: `${app.origin}/b24/events` });
    }
    const updates = await emulator.updateApp(portal, { version: 3 });
    assert.equal(updates.length, 1);
    const update = parseBracketForm(last('/b24/events').body);
    assert.equal(update.event, 'ONAPPUPDATE');
    assert.deepEqual(update.data, { VERSION: '3', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' });
    const updateAuth = update.auth as Record<string, string>;
    assert.equal(updateAuth.application_token, portal.applicationToken, 'the new application_token');
    assert.ok(!('refresh_token' in updateAuth), 'only ONAPPINSTALL carries refresh_token');
    const survivor = portal.issueTokens(1);
    await emulator.uninstallApp(portal, { clean: true });
    const uninstall = parseBracketForm(last('/b24/events').body);
    assert.equal(uninstall.event, 'ONAPPUNINSTALL');
    assert.deepEqual(uninstall.data, { LANGUAGE_ID: 'en', CLEAN: '1' });
    assert.deepEqual(Object.keys(uninstall.auth as object).sort(), [
      'application_token',
      'client_endpoint',
      'domain',
      'member_id',
      'server_endpoint',
    ]);
    const after = await callJson(portal.clientEndpoint, 'profile', { auth: survivor.accessToken });
    assert.equal(after.body.error, 'invalid_token');
    const refresh = await getJson(
      `${emulator.tokenEndpoint}?grant_type=refresh_token&client_id=${portal.clientId}&client_secret=${portal.clientSecret}&refresh_token=${survivor.refreshToken}`,
    );
    assert.equal(refresh.body.error, 'invalid_grant');
    assert.deepEqual(portal.registrations().events, []);
  });
});
