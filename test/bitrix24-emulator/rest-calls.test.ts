/**
 * REST calls over raw HTTP: the `{result, time}` envelope, JSON / form (PHP bracket keys) / GET encodings with
 * `auth` in the body or the query, the documented system errors (404 method, scope, admin-only), users by
 * scope, and `batch` (keyed results, result_error with HTTP 200, halt, $result references, the 50 limit).
 */
import assert from 'node:assert/strict';
import { type PortalEmulator, type PortalHandle, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { callForm, callJson, getJson, resultOf } from './raw-http.js';

describe('Bitrix24 emulator: REST calls and batch', () => {
  let emulator: PortalEmulator;
  let portal: PortalHandle;
  let admin: string;
  let employee: string;

  before(async () => {
    emulator = await startPortalEmulator({
      portals: [{ domain: 'portal-a.bitrix24.test' }, { domain: 'brief.bitrix24.test', scope: ['crm', 'user_brief'] }],
    });
    portal = emulator.portal('portal-a.bitrix24.test');
    const mary = portal.createUser({ name: 'Mary', lastName: 'Smith', email: 'mary@example.test', language: 'de' });
    admin = portal.issueTokens(1).accessToken;
    employee = portal.issueTokens(mary.id).accessToken;
  });
  after(() => emulator.close());

  it('wraps results in {result, time} and accepts .json, GET with auth in the query, and form bodies', async () => {
    const json = await callJson(portal.clientEndpoint, 'user.current.json', { auth: employee });
    assert.equal(json.status, 200);
    const time = json.body.time as Record<string, unknown>;
    for (const key of [
      'start',
      'finish',
      'duration',
      'processing',
      'date_start',
      'date_finish',
      'operating_reset_at',
      'operating',
    ]) {
      assert.ok(key in time, `time.${key}`);
    }
    const user = resultOf(json) as Record<string, unknown>;
    assert.equal(user.ID, '2');
    assert.equal(user.NAME, 'Mary');
    assert.equal(user.EMAIL, 'mary@example.test', 'user_basic shows EMAIL');
    const viaGet = await getJson(`${portal.clientEndpoint}user.get?auth=${admin}&FILTER[EMAIL]=mary%40example.test`);
    assert.equal(viaGet.body.total, 1);
    assert.deepEqual(resultOf(viaGet), [user]);
    const viaForm = await callForm(
      portal.clientEndpoint,
      'user.get',
      `auth=${admin}&FILTER%5BEMAIL%5D=mary%40example.test`,
    );
    assert.deepEqual(resultOf(viaForm), [user]);
  });

  it('answers user.admin and profile for the current user only', async () => {
    assert.equal(resultOf(await callJson(portal.clientEndpoint, 'user.admin', { auth: admin })), true);
    assert.equal(resultOf(await callJson(portal.clientEndpoint, 'user.admin', { auth: employee })), false);
    const profile = resultOf(await callJson(portal.clientEndpoint, 'profile', { auth: employee }));
    assert.deepEqual(profile, {
      ID: '2',
      ADMIN: false,
      NAME: 'Mary',
      LAST_NAME: 'Smith',
      PERSONAL_GENDER: '',
      TIME_ZONE: '',
    });
    const listed = resultOf(await callJson(portal.clientEndpoint, 'user.get', { auth: admin })) as Record<
      string,
      unknown
    >[];
    assert.ok(
      listed.every((row) => !('ADMIN' in row) && !('IS_ADMIN' in row)),
      'user.get documents no admin flag',
    );
  });

  it('answers the documented errors: unknown method, missing scope, admin-only method', async () => {
    const unknown = await callJson(portal.clientEndpoint, 'crm.deal.teleport', { auth: admin });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
    const brief = emulator.portal('brief.bitrix24.test');
    const briefToken = brief.issueTokens(1).accessToken;
    const noScope = await callJson(brief.clientEndpoint, 'placement.get', { auth: briefToken });
    assert.equal(noScope.status, 403);
    assert.equal(noScope.body.error, 'insufficient_scope');
    const noEmail = resultOf(await callJson(brief.clientEndpoint, 'user.current', { auth: briefToken })) as object;
    assert.ok(!('EMAIL' in noEmail), 'user_brief hides EMAIL');
    const notAdmin = await callJson(portal.clientEndpoint, 'placement.bind', {
      auth: employee,
      PLACEMENT: 'CRM_DEAL_DETAIL_TOOLBAR',
      HANDLER: 'https://app.example.test/sign',
    });
    assert.equal(notAdmin.status, 403);
    assert.deepEqual(notAdmin.body, { error: 'ACCESS_DENIED', error_description: 'Access denied!' });
    const otherPortal = await callJson(brief.clientEndpoint, 'profile', { auth: admin });
    assert.equal(otherPortal.body.error, 'invalid_token', 'a token works only on its own portal');
  });

  it('runs a batch: keyed results, result_error with HTTP 200, $result references, halt', async () => {
    const answer = await callJson(portal.clientEndpoint, 'batch', {
      auth: admin,
      halt: 0,
      cmd: {
        me: 'user.current',
        byEmail: 'user.get?FILTER[EMAIL]=$result[me][EMAIL]',
        broken: 'no.such.method',
        admin: 'user.admin',
      },
    });
    assert.equal(answer.status, 200);
    const result = resultOf(answer) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(result).sort(), [
      'result',
      'result_error',
      'result_next',
      'result_time',
      'result_total',
    ]);
    assert.equal((result.result.me as Record<string, unknown>).ID, '1');
    assert.equal((result.result.byEmail as Record<string, unknown>[])[0]?.ID, '1');
    assert.equal(result.result.admin, true);
    assert.deepEqual(result.result_error, {
      broken: { error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' },
    });
    assert.deepEqual(result.result_total, { byEmail: 1 });
    assert.deepEqual(result.result_next, [], 'an empty map is PHP []');
    const halted = resultOf(
      await callJson(portal.clientEndpoint, 'batch', { auth: admin, halt: 1, cmd: ['no.such.method', 'user.current'] }),
    ) as Record<string, unknown>;
    assert.deepEqual(halted.result, []);
    assert.equal((halted.result_error as unknown[]).length, 1);
  });

  it('takes batch commands form-encoded and refuses more than 50 commands and nested batch', async () => {
    const form = `auth=${admin}&halt=0&cmd%5Ba%5D=${encodeURIComponent('user.get?FILTER[ID]=2')}&cmd%5Bb%5D=batch`;
    const result = resultOf(await callForm(portal.clientEndpoint, 'batch', form)) as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal((result.result.a as Record<string, unknown>[])[0]?.NAME, 'Mary');
    assert.equal((result.result_error.b as Record<string, unknown>).error, 'ERROR_BATCH_METHOD_NOT_ALLOWED');
    const cmd = Array.from({ length: 51 }, () => 'user.admin');
    const tooLong = await callJson(portal.clientEndpoint, 'batch', { auth: admin, cmd });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error, 'ERROR_BATCH_LENGTH_EXCEEDED');
    const fifty = resultOf(await callJson(portal.clientEndpoint, 'batch', { auth: admin, cmd: cmd.slice(1) }));
    assert.equal(((fifty as Record<string, unknown>).result as unknown[]).length, 50);
  });

  it('records im.notify.system.add and answers USER_ID_EMPTY / MESSAGE_EMPTY', async () => {
    const id = resultOf(
      await callJson(portal.clientEndpoint, 'im.notify.system.add', {
        auth: admin,
        USER_ID: 2,
        MESSAGE: 'Please sign [URL=https://app.example.test/approve/1]the contract[/URL]',
        TAG: 'sign-1',
      }),
    );
    assert.equal(typeof id, 'number');
    assert.deepEqual(
      portal.notifications().map((entry) => [entry.id, entry.toUserId, entry.fromUserId, entry.tag]),
      [[id, 2, 1, 'sign-1']],
    );
    const noUser = await callJson(portal.clientEndpoint, 'im.notify.system.add', { auth: admin, MESSAGE: 'x' });
    assert.equal(noUser.body.error, 'USER_ID_EMPTY');
    const noMessage = await callJson(portal.clientEndpoint, 'im.notify.system.add', { auth: admin, USER_ID: 2 });
    assert.equal(noMessage.body.error, 'MESSAGE_EMPTY');
  });

  it('records every request with time, method and parameters without auth', async () => {
    const log = portal.requests().filter((entry) => entry.kind === 'rest');
    assert.ok(log.length > 5);
    for (const entry of log) {
      assert.equal(typeof entry.atMs, 'number');
      assert.ok(!('auth' in entry.params), 'auth is not kept');
    }
    assert.ok(log.some((entry) => entry.method === 'batch' && entry.status === 200));
  });
});
