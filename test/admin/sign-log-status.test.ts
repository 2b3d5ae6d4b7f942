/**
 * The sign log's chain status in the control panel's API, against the real embedded store: operators (and
 * unscoped tokens) get everything the verifier found — every portal's entry count, the head's hash, the last
 * checkpoint's number and entry, where the chain breaks and why. A portal administrator or portal-scoped
 * token gets only whether the chain is intact, when the last checkpoint was made and their own portal's
 * entry count: their answer does not move when another portal works, and a broken chain is reported without
 * its position or reason (both measure the whole service's log).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeSignLogCheckpoint } from '../../shared/audit/make-sign-log-checkpoint.js';
import { AdminFixture, type Caller } from './admin-fixture.js';

type ServiceStatus = {
  scope: 'service';
  intact: boolean;
  entries: number;
  lastHash: string | null;
  checkpoints: number;
  lastCheckpoint: { number: number; seq: number; time: string } | null;
  brokenAt: number | null;
  reason: string | null;
};

describe('control panel API: the sign log chain status by scope (embedded store, real HTTP)', function () {
  this.timeout(120_000);
  const fx = new AdminFixture();
  let root: Caller;
  let adminA: Caller;
  let tokenA: Caller;

  const status = async (caller: Caller) => {
    const answer = await caller.call('GET', '/api/v1/sign-log/status');
    assert.equal(answer.status, 200, answer.text);
    return answer;
  };
  /** How many entries the caller's Sign log page lists. */
  const visibleEntries = async (caller: Caller) =>
    ((await caller.call('GET', '/api/v1/sign-log?pageSize=1')).body as { total: number }).total;
  const createIn = async (memberId: string, login: string, userId: number) => {
    const created = await root.call('POST', '/api/v1/accounts', { login, memberId, bitrixUserId: userId });
    assert.equal(created.status, 201, created.text);
    return (created.body as { id: string }).id;
  };

  before(async () => {
    await fx.start();
    root = (await fx.operator('status-operator')).caller;
    await createIn('portal-A', 'anna', 7);
    for (let i = 0; i < 4; i++) {
      const id = await createIn('portal-B', `boris${i}`, 20 + i);
      assert.equal((await root.call('PATCH', `/api/v1/accounts/${id}`, { description: 'busy portal' })).status, 200);
    }
    const opened = await fx.panel.api.deps.sessions.open(
      { kind: 'portal-admin', memberId: 'portal-A', userId: 1, name: 'Admin A' },
      'active',
    );
    adminA = fx.caller({ session: opened.id });
    const token = await root.call('POST', '/api/v1/api-tokens', {
      name: 'a-sync',
      scope: 'read',
      memberId: 'portal-A',
    });
    assert.equal(token.status, 201, token.text);
    tokenA = fx.caller({ bearer: (token.body as { token: string }).token });
    const made = await makeSignLogCheckpoint({ store: fx.store, masterKey: fx.masterKey, now: fx.now });
    assert.ok('made' in made, JSON.stringify(made));
  });
  after(() => fx.stop());

  it('an operator sees everything the verifier found', async () => {
    const body = (await status(root)).body as ServiceStatus;
    assert.equal(body.scope, 'service');
    assert.equal(body.intact, true);
    const head = await fx.store.signLog.head();
    assert.ok(head);
    assert.equal(body.entries, head.seq, 'every portal’s entries');
    assert.equal(body.lastHash, head.hash);
    assert.equal(body.checkpoints, 1);
    assert.equal(body.lastCheckpoint?.seq, head.seq);
  });

  it('a portal administrator and a portal-scoped token: intact, the checkpoint’s time, their own count only', async () => {
    const service = (await status(root)).body as ServiceStatus;
    const ownEntries = await visibleEntries(adminA);
    assert.ok(ownEntries > 0 && ownEntries < service.entries, `${ownEntries} of ${service.entries}`);
    for (const caller of [adminA, tokenA]) {
      const answer = await status(caller);
      assert.deepEqual(answer.body, {
        scope: 'portal',
        intact: true,
        entries: ownEntries,
        lastCheckpointAt: service.lastCheckpoint?.time,
        timestampedBy: null,
        timestampedAt: null,
      });
      assert.ok(!answer.text.includes(service.lastHash ?? '-'), 'not the head’s hash');
    }
  });

  it('another portal’s activity does not move a portal administrator’s answer', async () => {
    const before = (await status(adminA)).text;
    const serviceBefore = ((await status(root)).body as ServiceStatus).entries;
    for (let i = 0; i < 3; i++) await createIn('portal-B', `bella${i}`, 40 + i);
    assert.ok(((await status(root)).body as ServiceStatus).entries > serviceBefore, 'the operator sees B work');
    assert.equal((await status(adminA)).text, before, 'portal A’s administrator does not');
    await createIn('portal-A', 'alla', 50);
    assert.equal(((await status(adminA)).body as { entries: number }).entries, await visibleEntries(adminA));
  });

  it('a broken chain: the operator sees where and why, a portal administrator only that it does not verify', async () => {
    const raw = new Database(path.join(fx.dir, 'signservice.sqlite'));
    try {
      raw.exec('DROP TRIGGER sign_log_no_update');
      raw.exec(`UPDATE sign_log SET body = json_set(body, '$.actor.role', 'admin') WHERE seq = 3`);
    } finally {
      raw.close();
    }
    const service = (await status(root)).body as ServiceStatus;
    assert.equal(service.intact, false);
    assert.equal(service.brokenAt, 3);
    assert.match(service.reason ?? '', /entry 3 was altered/);
    const portal = await status(adminA);
    assert.deepEqual(Object.keys(portal.body as object).sort(), [
      'entries',
      'intact',
      'lastCheckpointAt',
      'scope',
      'timestampedAt',
      'timestampedBy',
    ]);
    assert.equal((portal.body as { intact: boolean }).intact, false);
    assert.equal((portal.body as { lastCheckpointAt: string | null }).lastCheckpointAt, null);
    assert.doesNotMatch(portal.text, /altered|entry 3/);
  });
});
