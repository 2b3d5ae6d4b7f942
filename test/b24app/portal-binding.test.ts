/**
 * Who may bind and unbind a portal, tried as an attacker would: Eve, an ordinary employee of the portal, takes
 * the AUTH_ID / REFRESH_ID / APPLICATION_TOKEN of her own Sign-dialog frame POST and posts them as an install
 * (`/b24/install`), a reinstall, an install page (`/b24/app`), an update (`ONAPPUPDATE` with an
 * application_token of her choosing) and an uninstall (`ONAPPUNINSTALL` with `CLEAN=1`). Each is refused; the
 * portal's row — tokens, application_token hash, version — is byte-for-byte what it was; each refusal is a
 * warning in the log (member_id and address, never a token) and a sign-log entry; the forged uninstall alerts
 * the administrator in Bitrix24. Afterwards genuine calls still work (the robot with the real token), the
 * chosen token opens nothing, and the administrator's real update and uninstall are honoured.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makePdf } from '../pipeline/make-pdfs.js';
import { signLogOf } from '../pipeline/pipeline-fixture.js';
import type { PortalHandle } from '../support/bitrix24-emulator/index.js';
import { postB24Form } from '../support/post-b24-form.js';
import { B24AppFixture, ROBOT_CODE } from './b24app-fixture.js';

const post = postB24Form;

const CHOSEN_TOKEN = 'e'.repeat(32);
const now = () => String(Math.floor(Date.now() / 1000));

describe('Bitrix24 binding: only a portal administrator binds, only the portal unbinds', function () {
  this.timeout(180_000);
  const fx = new B24AppFixture();
  let a: PortalHandle;
  let eve: number;
  let dealId: number;

  /** The portal's row as SQLite holds it, every column, read through a connection of its own. */
  const row = (memberId: string) => {
    const db = new Database(path.join(fx.dataDir, 'signservice.sqlite'), { readonly: true });
    try {
      return JSON.stringify(db.prepare('SELECT * FROM portals WHERE member_id = ?').get(memberId));
    } finally {
      db.close();
    }
  };

  /** What Eve's browser receives when she opens the Sign dialog on a deal. */
  const evesFrame = async () =>
    (await fx.emulator.openPlacement(a, 'CRM_DEAL_DETAIL_TOOLBAR', eve, { dealId })).post.fields;

  const authOf = (frame: Record<string, string>, portal: PortalHandle, extra: Record<string, string> = {}) => ({
    access_token: frame.AUTH_ID,
    expires_in: '3600',
    scope: frame.APPLICATION_SCOPE,
    domain: portal.domain,
    server_endpoint: portal.serverEndpoint,
    client_endpoint: portal.clientEndpoint,
    member_id: portal.memberId,
    status: 'L',
    user_id: String(eve),
    application_token: CHOSEN_TOKEN,
    ...extra,
  });

  before(async () => {
    await fx.start({
      emulator: { portals: [{ domain: 'portal-a.bitrix24.test' }, { domain: 'portal-b.bitrix24.test' }] },
    });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    await fx.install(a);
    eve = a.createUser({ name: 'Eve', lastName: 'Employee' }).id;
    dealId = fx.deal(a, 'Binding', await makePdf('Binding', 1));
  });
  after(() => fx.stop());

  it("refuses Eve's update, install, reinstall and install page; the portal row is byte-for-byte unchanged", async () => {
    const before = row(a.memberId);
    const frame = await evesFrame();
    const attempts: [string, string, Record<string, unknown>, string?][] = [
      [
        'ONAPPUPDATE with a chosen application_token',
        '/b24/events',
        { event: 'ONAPPUPDATE', data: { VERSION: '2', PREVIOUS_VERSION: '1' }, ts: now(), auth: authOf(frame, a) },
      ],
      [
        'ONAPPINSTALL (a reinstall over the live portal)',
        '/b24/install',
        {
          event: 'ONAPPINSTALL',
          data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' },
          ts: now(),
          auth: authOf(frame, a, { refresh_token: frame.REFRESH_ID as string }),
        },
      ],
      [
        'the install page with a chosen APPLICATION_TOKEN',
        '/b24/app',
        { ...frame, APPLICATION_TOKEN: CHOSEN_TOKEN, PLACEMENT: 'DEFAULT', PLACEMENT_OPTIONS: '[]' },
        `?DOMAIN=${a.domain}&PROTOCOL=0&LANG=en&APP_SID=x`,
      ],
    ];
    for (const [what, route, fields, query] of attempts) {
      const answer = await post(`${fx.baseUrl}${route}`, fields, query ?? '');
      assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.body}`);
      assert.equal(row(a.memberId), before, `${what}: the portal row changed`);
    }
    const log = fx.service!.output();
    const warnings = log.split('\n').filter((l) => l.includes('refused: portal bind'));
    assert.ok(warnings.length >= 3, `every refusal is a warning (${warnings.length})`);
    assert.ok(warnings.every((l) => l.includes(a.memberId) && /"ip":/.test(l)));
    assert.ok(!log.includes(frame.AUTH_ID as string) && !log.includes(frame.REFRESH_ID as string), 'no token logged');
    const entries = (await signLogOf(fx.store)).filter((e) => e.action === 'portal_bind_refused');
    assert.ok(entries.length >= 1, 'the refusals are in the sign log');
    assert.equal(entries[0]?.actor.memberId, a.memberId);
    assert.equal(entries[0]?.actor.userId, eve, 'the user the OAuth server named');
    assert.equal(entries[0]?.details?.reason, 'not_admin');
  });

  it('after the refused update genuine calls work and the chosen token opens nothing', async () => {
    const run = await fx.emulator.runRobot(a, ROBOT_CODE, { dealId, properties: { signer: 'user_1' } });
    assert.equal(run.response.status, 200, `the real application_token still works: ${run.response.body}`);
    const forged = {
      ...run.sent,
      event_token: `${run.eventToken}x`,
      auth: { ...(run.sent.auth as object), application_token: CHOSEN_TOKEN },
    };
    const refused = await post(`${fx.baseUrl}/b24/robot`, forged);
    assert.equal(refused.status, 403, refused.body);
  });

  it("refuses Eve's install page on a portal whose UI install is not finished yet", async () => {
    const b = fx.emulator.portal('portal-b.bitrix24.test');
    const mallory = b.createUser({ name: 'Mallory' }).id;
    const { sent } = await fx.emulator.installApp(b, `${fx.baseUrl}/b24/app`, { mode: 'page' });
    assert.equal((await fx.store.portals.get(b.memberId))?.status, 'installed', 'the administrator installed it');
    const before = row(b.memberId);
    // Until installFinish() the app counts as not installed, so the page would install again: Eve's turn.
    const grant = b.issueTokens(mallory);
    const fields = {
      ...sent,
      AUTH_ID: grant.accessToken,
      REFRESH_ID: grant.refreshToken,
      APPLICATION_TOKEN: CHOSEN_TOKEN,
    } as Record<string, unknown>;
    const { DOMAIN, PROTOCOL, LANG, APP_SID, ...body } = fields;
    const answer = await post(
      `${fx.baseUrl}/b24/app`,
      body,
      `?DOMAIN=${DOMAIN}&PROTOCOL=${PROTOCOL}&LANG=${LANG}&APP_SID=${APP_SID}`,
    );
    assert.equal(answer.status, 403, answer.body);
    assert.equal(row(b.memberId), before);
    b.finishInstall();
  });

  it('a forged uninstall (the real application_token, CLEAN=1) changes nothing and alerts the administrator', async () => {
    const before = row(a.memberId);
    const frame = await evesFrame();
    const uninstall = {
      event: 'ONAPPUNINSTALL',
      data: { LANGUAGE_ID: 'en', CLEAN: '1' },
      ts: now(),
      auth: {
        domain: a.domain,
        server_endpoint: a.serverEndpoint,
        client_endpoint: a.clientEndpoint,
        member_id: a.memberId,
        application_token: frame.APPLICATION_TOKEN,
      },
    };
    const answer = await post(`${fx.baseUrl}/b24/events`, uninstall);
    assert.equal(answer.status, 403, answer.body);
    assert.match(answer.body, /still installed/);
    assert.equal(row(a.memberId), before, 'the row is byte-for-byte what it was');
    const alerts = a.notifications().filter((n) => n.toUserId === 1 && n.tag.startsWith('signservice.binding|'));
    assert.equal(alerts.length, 1, 'the administrator who installed the app is told');
    assert.match(alerts[0]!.message, /uninstall/i);
    assert.ok(fx.service!.output().includes('refused: portal unbind'));
    const entries = (await signLogOf(fx.store)).filter((e) => e.action === 'portal_unbind_refused');
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.details?.reason, 'still_installed');
  });

  it('an uninstall is honoured when app.info says INSTALLED=false, and left alone while the portal gives no answer', async () => {
    const c = fx.emulator.addPortal({ domain: 'portal-c.bitrix24.test' });
    await fx.install(c);
    const frame = (
      await fx.emulator.openPlacement(c, 'CRM_DEAL_DETAIL_TOOLBAR', 1, {
        dealId: fx.deal(c, 'C', await makePdf('C', 1)),
      })
    ).post.fields;
    const uninstall = {
      event: 'ONAPPUNINSTALL',
      data: { CLEAN: '0' },
      ts: now(),
      auth: {
        domain: c.domain,
        server_endpoint: c.serverEndpoint,
        client_endpoint: c.clientEndpoint,
        member_id: c.memberId,
        application_token: frame.APPLICATION_TOKEN,
      },
    };
    const before = row(c.memberId);
    c.faults.set({ rate: 1, kinds: ['5xx'], methods: ['app.info'], seed: 1 });
    const unanswered = await post(`${fx.baseUrl}/b24/events`, uninstall);
    c.faults.clear();
    assert.equal(unanswered.status, 503, unanswered.body);
    assert.equal(row(c.memberId), before, 'no verdict, no change');
    const [gone] = await fx.emulator.uninstallApp(c, { keepTokens: true });
    assert.equal(gone!.response.status, 200, gone!.response.body);
    assert.equal((await fx.store.portals.get(c.memberId))?.status, 'uninstalled');
  });

  it("the administrator's real update re-registers, and the real uninstall (tokens revoked) unbinds", async () => {
    const oldToken = a.applicationToken;
    const [update] = await fx.emulator.updateApp(a);
    assert.equal(update!.response.status, 200, update!.response.body);
    assert.equal(a.registrations().robots.length, 1, 'the update deleted the robot; the app registered it again');
    const stale = await fx.emulator.runRobot(a, ROBOT_CODE, { dealId, properties: { signer: 'user_1' } });
    assert.equal(stale.response.status, 200, 'robot calls carry the new token');
    const old = { ...stale.sent, auth: { ...(stale.sent.auth as object), application_token: oldToken } };
    assert.equal((await post(`${fx.baseUrl}/b24/robot`, old)).status, 403, 'the old token is refused');
    const [gone] = await fx.emulator.uninstallApp(a, { clean: true });
    assert.equal(gone!.response.status, 200, gone!.response.body);
    assert.equal(await fx.store.portals.get(a.memberId), undefined, 'CLEAN=1 purged the confirmed uninstall');
  });
});
