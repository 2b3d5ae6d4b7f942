/**
 * The admin API's security promises, against the real app, store and SMTP server: every route and page
 * listed from the routers answers nothing without a session or token; the OpenAPI document is valid
 * (checked by @seriousme/openapi-schema-validator against the official 3.1 schema) and names exactly the
 * routes the router serves; CSRF token and Origin are required; a session id changes at each sign-in step
 * (fixation); five failed sign-ins lock a login; API tokens keep to their scope and stop at revocation;
 * sessions end after 30 idle minutes and at sign-out; a portal administrator reaches only their portal and
 * an ordinary user gets 403 everywhere but My signing; no secret appears in any answer, mail or log line.
 */
import assert from 'node:assert/strict';
import type { Router } from '@koa/router';
import { Validator } from '@seriousme/openapi-schema-validator';
import { AdminFixture, type Caller } from './admin-fixture.js';

type Layer = { path: string; methods: string[] };

/** Every (method, path) a router serves, HEAD left out (koa-router adds it to GET). */
function routesOf(routers: Router[]): { method: string; path: string }[] {
  return routers.flatMap((r) =>
    (r.stack as unknown as Layer[]).flatMap((l) =>
      l.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: l.path })),
    ),
  );
}

const concrete = (path: string) => path.replace(/:certId/g, '0123456789abcdef').replace(/:[A-Za-z]+/g, 'x');

describe('control panel API: security (embedded store, SMTP, real HTTP)', function () {
  this.timeout(120_000);
  const fx = new AdminFixture();
  let root: Caller;
  let rootSecret: string;
  const PASSWORD = 'correct horse battery staple';

  before(async () => {
    await fx.start();
    const op = await fx.operator('chief-operator', PASSWORD);
    root = op.caller;
    rootSecret = op.secret;
  });
  after(() => fx.stop());

  it('OpenAPI 3.1 document is valid and lists exactly the routes the router serves', async () => {
    const answer = await fx.caller().call('GET', '/api/v1/openapi.json');
    assert.equal(answer.status, 200);
    const validator = new Validator();
    const result = await validator.validate(answer.body as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    const doc = answer.body as { paths: Record<string, Record<string, { 'x-authority': string }>> };
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const served = routesOf(fx.panel.routers)
      .filter((r) => r.path.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    assert.deepEqual([...documented].sort(), [...served].sort());
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) assert.ok(op['x-authority']);
  });

  it('no session, no data: every /api/v1 route and /admin page from the routers', async () => {
    const nobody = fx.caller();
    const publicRoutes = new Set(
      fx.panel.api.routes.filter((r) => r.authority === 'public').map((r) => `${r.method} ${r.path}`),
    );
    const all = routesOf(fx.panel.routers);
    assert.ok(all.length > 30, `the router serves ${all.length} routes`);
    for (const { method, path } of all) {
      const answer = await nobody.call(
        method,
        concrete(path),
        method === 'GET' || method === 'DELETE' ? undefined : {},
      );
      if (path.startsWith('/admin')) {
        assert.ok([200, 404].includes(answer.status), `${method} ${path}: ${answer.status}`);
        assert.doesNotMatch(answer.text, /chief-operator/, `${method} ${path} shows no data`);
        continue;
      }
      if (publicRoutes.has(`${method} ${path}`)) {
        assert.notEqual(answer.status, 500, `${method} ${path}`);
        if (path === '/api/v1/session' && method === 'GET')
          assert.equal((answer.body as { stage: string }).stage, 'signed-out');
        continue;
      }
      assert.equal(answer.status, 401, `${method} ${path} answered ${answer.status}: ${answer.text}`);
      assert.deepEqual(Object.keys(answer.body as object), ['error'], `${method} ${path} shows only the error`);
    }
  });

  it('CSRF token and Origin are required for state changes', async () => {
    const body = { login: 'csrf-test', email: 'csrf@acme.test' };
    const noToken = await root.call('POST', '/api/v1/accounts', body, { 'X-CSRF-Token': '' });
    assert.equal(noToken.status, 403);
    assert.equal((noToken.body as { error: { code: string } }).error.code, 'CSRF_REJECTED');
    const foreign = await root.call('POST', '/api/v1/accounts', body, { Origin: 'https://evil.example' });
    assert.equal(foreign.status, 403, foreign.text);
    const noOrigin = await root.call('POST', '/api/v1/accounts', body, { Origin: '' });
    assert.equal(noOrigin.status, 403, 'a cookie session without Origin is refused');
    const ok = await root.call('POST', '/api/v1/accounts', body);
    assert.equal(ok.status, 201, ok.text);
    const foreignSignIn = await fx
      .caller(undefined, 'https://evil.example')
      .call('POST', '/api/v1/session', { login: 'chief-operator', password: PASSWORD });
    assert.equal(foreignSignIn.status, 403, 'no sign-in from another site');
  });

  it("an account's time zone: an IANA name is stored and shown, anything else refused, null clears it", async () => {
    const made = await root.call('POST', '/api/v1/accounts', { login: 'tz-test', timeZone: 'Asia/Vladivostok' });
    assert.equal(made.status, 201, made.text);
    const { id, timeZone } = made.body as { id: string; timeZone: string | null };
    assert.equal(timeZone, 'Asia/Vladivostok');
    const bad = await root.call('POST', '/api/v1/accounts', { login: 'tz-bad', timeZone: 'Mars/Olympus' });
    assert.equal(bad.status, 400, bad.text);
    const edited = await root.call('PATCH', `/api/v1/accounts/${id}`, { timeZone: 'Europe/Moscow' });
    assert.equal(edited.status, 200, edited.text);
    assert.equal((edited.body as { timeZone: string }).timeZone, 'Europe/Moscow');
    assert.equal((await root.call('PATCH', `/api/v1/accounts/${id}`, { timeZone: 'UTC+3' })).status, 400);
    assert.equal((await fx.store.accounts.get(id))?.timeZone, 'Europe/Moscow');
    const cleared = await root.call('PATCH', `/api/v1/accounts/${id}`, { timeZone: null });
    assert.equal((cleared.body as { timeZone: string | null }).timeZone, null);
    assert.equal((await fx.store.accounts.get(id))?.timeZone, undefined);
  });

  it('a grant names a certificate the inventory holds: an unknown id is refused (CERT_UNKNOWN), nothing granted', async () => {
    const made = await root.call('POST', '/api/v1/accounts', { login: 'grant-test' });
    assert.equal(made.status, 201, made.text);
    const id = (made.body as { id: string }).id;
    const refused = await root.call('POST', `/api/v1/accounts/${id}/grants`, { certId: 'deadbeefdead' });
    assert.equal(refused.status, 404, refused.text);
    const error = (refused.body as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'CERT_UNKNOWN');
    assert.match(
      error.message,
      /no certificate deadbeefdead in the certificate inventory.*`signservice cert list` shows/,
    );
    assert.deepEqual(await fx.store.grants.listForAccount(id), []);
  });

  it('a certificate gets a display name people recognise (sign-logged), cleared with null; unknown ids are refused', async () => {
    const ca = await root.call('POST', '/api/v1/ca', { commonName: 'Name Test CA' });
    assert.ok(ca.status === 201 || ca.status === 409, ca.text);
    const issued = await root.call('POST', '/api/v1/certificates', {
      commonName: 'Мария Иванова',
      email: 'm@acme.test',
    });
    assert.equal(issued.status, 201, issued.text);
    const id = (issued.body as { id: string }).id;
    const named = await root.call('PUT', `/api/v1/certificates/${id.slice(0, 12)}/name`, {
      name: '  Печать бухгалтерии ',
    });
    assert.equal(named.status, 200, named.text);
    assert.equal((named.body as { displayName: string }).displayName, 'Печать бухгалтерии');
    const listed = (await root.call('GET', '/api/v1/certificates')).body as {
      certificates: { id: string; displayName: string | null }[];
    };
    assert.equal(listed.certificates.find((c) => c.id === id)?.displayName, 'Печать бухгалтерии');
    const log = [];
    for await (const e of fx.store.signLog.list()) if (e.action === 'certificate_named') log.push(e);
    assert.equal(log.at(-1)?.certificate?.id, id);
    assert.equal(log.at(-1)?.details?.name, 'Печать бухгалтерии');
    const cleared = await root.call('PUT', `/api/v1/certificates/${id}/name`, { name: null });
    assert.equal((cleared.body as { displayName: string | null }).displayName, null);
    assert.equal(await fx.store.certificateNames.get(id), undefined);
    const unknown = await root.call('PUT', '/api/v1/certificates/deadbeefdead/name', { name: 'X' });
    assert.equal(unknown.status, 404, unknown.text);
    const tooLong = await root.call('PUT', `/api/v1/certificates/${id}/name`, { name: 'x'.repeat(81) });
    assert.equal(tooLong.status, 400, tooLong.text);
  });

  it('session fixation: each sign-in step issues a new session id; a planted id stays signed out', async () => {
    await fx.panel.api.deps.operators.add({ login: 'fixed', password: PASSWORD });
    const victim = fx.caller();
    victim.cookie = 'signservice_admin=planted-by-attacker';
    const setup = await victim.call('POST', '/api/v1/session', { login: 'fixed', password: PASSWORD });
    assert.equal((setup.body as { stage: string }).stage, 'totp-setup');
    const setupId = victim.cookie;
    assert.notEqual(setupId, 'signservice_admin=planted-by-attacker');
    const attacker = fx.caller();
    attacker.cookie = setupId;
    assert.equal((await attacker.call('GET', '/api/v1/accounts')).status, 401, 'a set-up session is not signed in');
    const { URI } = await import('otpauth');
    const totp = URI.parse((setup.body as { setup: { otpUri: string } }).setup.otpUri);
    victim.csrf = (setup.body as { csrfToken: string }).csrfToken;
    const done = await victim.call('POST', '/api/v1/session/totp', { code: totp.generate({ timestamp: fx.clock }) });
    assert.equal(done.status, 200, done.text);
    assert.notEqual(victim.cookie, setupId, 'the signed-in session has a new id');
    assert.equal((await attacker.call('GET', '/api/v1/accounts')).status, 401, 'the old id is dead');
    assert.equal((await victim.call('GET', '/api/v1/accounts')).status, 200);
    assert.match(done.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
  });

  it('five failed sign-ins lock the login for 15 minutes', async () => {
    await fx.panel.api.deps.operators.add({ login: 'locky', password: PASSWORD });
    const c = fx.caller();
    for (let i = 0; i < 5; i++) {
      const wrong = await c.call('POST', '/api/v1/session', { login: 'locky', password: 'wrong password!!' });
      assert.equal(wrong.status, 401);
    }
    const right = await c.call('POST', '/api/v1/session', { login: 'locky', password: PASSWORD });
    assert.equal(right.status, 423, right.text);
    fx.advance(16 * 60_000);
    const later = await c.call('POST', '/api/v1/session', { login: 'locky', password: PASSWORD });
    assert.equal(later.status, 200, 'unlocked after 15 minutes');
  });

  it('API tokens: read-only cannot write, revoked cannot read; tokens are listed without their text', async () => {
    const created = await root.call('POST', '/api/v1/api-tokens', { name: 'hr-sync', scope: 'read' });
    assert.equal(created.status, 201, created.text);
    const text = (created.body as { token: string; id: string }).token;
    const script = fx.caller({ bearer: text });
    assert.equal((await script.call('GET', '/api/v1/accounts')).status, 200);
    const write = await script.call('POST', '/api/v1/accounts', { login: 'by-script' });
    assert.equal(write.status, 403);
    assert.equal((await script.call('GET', '/api/v1/api-tokens')).status, 403, 'tokens are the operator’s');
    const listed = await root.call('GET', '/api/v1/api-tokens');
    assert.doesNotMatch(listed.text, new RegExp(text));
    assert.equal((await root.call('DELETE', `/api/v1/api-tokens/${(created.body as { id: string }).id}`)).status, 200);
    assert.equal((await script.call('GET', '/api/v1/accounts')).status, 401);
    fx.answers.splice(fx.answers.indexOf(created.text), 1);
    (fx as unknown as { tokenTexts: string[] }).tokenTexts = [text];
  });

  it('portal administrators see only their portal; ordinary users get 403 from every admin route', async () => {
    const sessions = fx.panel.api.deps.sessions;
    for (const [memberId, login, userId] of [
      ['portal-A', 'anna', 7],
      ['portal-B', 'boris', 8],
    ] as const) {
      const r = await root.call('POST', '/api/v1/accounts', {
        login,
        memberId,
        bitrixUserId: userId,
        email: `${login}@acme.test`,
      });
      assert.equal(r.status, 201, r.text);
    }
    const a = await sessions.open({ kind: 'portal-admin', memberId: 'portal-A', userId: 1, name: 'Admin A' }, 'active');
    const adminA = fx.caller({ session: a.id });
    adminA.csrf = fx.panel.api.deps.csrfTokenFor(a.id);
    const list = (await adminA.call('GET', '/api/v1/accounts')).body as { accounts: { login: string; id: string }[] };
    assert.deepEqual(
      list.accounts.map((x) => x.login),
      ['anna'],
    );
    const all = (await root.call('GET', '/api/v1/accounts')).body as { accounts: { login: string; id: string }[] };
    const boris = all.accounts.find((x) => x.login === 'boris');
    assert.ok(boris);
    assert.equal((await adminA.call('GET', `/api/v1/accounts/${boris.id}`)).status, 404);
    assert.equal((await adminA.call('PATCH', `/api/v1/accounts/${boris.id}`, { description: 'x' })).status, 404);
    assert.equal((await adminA.call('POST', `/api/v1/accounts/${boris.id}/unlock`)).status, 404);
    const created = await adminA.call('POST', '/api/v1/accounts', {
      login: 'anna2',
      bitrixUserId: 9,
      memberId: 'portal-B',
    });
    assert.equal((created.body as { portal: string }).portal, 'portal-A', 'a portal admin creates in their own portal');
    assert.equal(
      (await adminA.call('POST', '/api/v1/ca', { commonName: 'X' })).status,
      403,
      'shared things are read-only',
    );
    assert.equal(
      (await adminA.call('PUT', '/api/v1/certificates/deadbeefdead/name', { name: 'Ours now' })).status,
      403,
      'a certificate serves every portal: a portal administrator cannot rename it',
    );

    const u = await sessions.open({ kind: 'portal-user', memberId: 'portal-A', userId: 7, name: 'Anna' }, 'active');
    const user = fx.caller({ session: u.id });
    user.csrf = fx.panel.api.deps.csrfTokenFor(u.id);
    const adminOnly = fx.panel.api.routes.filter((r) => !['public', 'self'].includes(r.authority));
    for (const r of adminOnly) {
      const answer = await user.call(
        r.method,
        concrete(r.path),
        r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
      );
      assert.equal(answer.status, 403, `${r.method} ${r.path} answered ${answer.status} to an ordinary user`);
    }
    const me = await user.call('GET', '/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal((me.body as { account: { login: string } }).account.login, 'anna');
  });

  it('sessions end after 30 idle minutes and at sign-out (in the store)', async () => {
    const { caller } = await fx.operator('idle');
    assert.equal((await caller.call('GET', '/api/v1/accounts')).status, 200);
    fx.advance(31 * 60_000);
    assert.equal((await caller.call('GET', '/api/v1/accounts')).status, 401);
    const again = await fx.operator('leaver');
    const id = again.caller.cookie;
    assert.equal((await again.caller.call('DELETE', '/api/v1/session')).status, 200);
    const replay = fx.caller();
    replay.cookie = id;
    assert.equal((await replay.call('GET', '/api/v1/accounts')).status, 401, 'the id is gone from the store');
  });

  it('no secret in any answer, e-mail or log line', async () => {
    // The earlier test let the first operator's session run idle; a second operator signs in.
    const scanner = await fx.operator('scanner');
    root = scanner.caller;
    const anna = ((await root.call('GET', '/api/v1/accounts?search=anna')).body as { accounts: { id: string }[] })
      .accounts[0];
    assert.ok(anna);
    const sent = await root.call('POST', `/api/v1/accounts/${anna.id}/enrollment-link`, { send: true });
    assert.equal(sent.status, 200, sent.text);
    await fx.sink.waitFor(1);
    const secrets = [
      fx.masterKeyBase64,
      rootSecret,
      PASSWORD,
      ...((fx as unknown as { tokenTexts?: string[] }).tokenTexts ?? []),
    ];
    const haystacks = [
      ...fx.answers.filter((a) => !a.includes('"setup":{')),
      ...fx.logs,
      ...fx.sink.raw.map((r) => r.toString()),
    ];
    for (const secret of secrets) {
      for (const text of haystacks) assert.ok(!text.includes(secret), `a secret leaked into: ${text.slice(0, 200)}`);
    }
    const linkToken = /\/enroll\/([A-Za-z0-9_-]+)/.exec(fx.sink.raw[0]?.toString() ?? '')?.[1];
    assert.ok(linkToken);
    for (const text of [...fx.answers, ...fx.logs]) assert.ok(!text.includes(linkToken), 'a mailed link is not echoed');
  });
});
