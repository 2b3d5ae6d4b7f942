/**
 * Fault injection over raw HTTP: a seeded plan gives the same faults for the same calls (and another seed
 * different ones), the rate holds roughly, plans stay on their portal, one-shot faults hit the next call only,
 * an injected expired_token really expires the token, and timeouts drop the socket either before or after the
 * call ran.
 */
import assert from 'node:assert/strict';
import {
  type FaultKind,
  type PortalEmulator,
  type PortalEmulatorOptions,
  startPortalEmulator,
} from '../support/bitrix24-emulator/index.js';
import { callJson, getJson, resultOf } from './raw-http.js';

const KINDS: FaultKind[] = ['query_limit', '5xx', 'operation_time_limit'];

/** Statuses of `count` sequential calls on a fresh emulator with a seeded plan. */
async function patternFor(seed: number, count: number): Promise<{ statuses: number[]; kinds: string[] }> {
  const emulator = await startPortalEmulator();
  try {
    emulator.faults.set({ rate: 0.3, kinds: KINDS, seed });
    const portal = emulator.portal('portal-a.bitrix24.test');
    const auth = portal.issueTokens(1).accessToken;
    const statuses: number[] = [];
    for (let i = 0; i < count; i++)
      statuses.push((await callJson(portal.clientEndpoint, 'user.admin', { auth })).status);
    return { statuses, kinds: emulator.faults.injected().map((fault) => fault.kind) };
  } finally {
    await emulator.close();
  }
}

describe('Bitrix24 emulator: fault injection', () => {
  let emulator: PortalEmulator;
  const options: PortalEmulatorOptions = {
    rateLimit: { burst: 10_000, drainPerSecond: 2 },
    timeoutHoldMs: 300,
    portals: [{ domain: 'portal-a.bitrix24.test' }, { domain: 'portal-b.bitrix24.test' }],
  };

  before(async () => {
    emulator = await startPortalEmulator(options);
  });
  after(() => emulator.close());
  afterEach(() => emulator.faults.clear());

  it('replays the same faults for the same seed and differs for another seed', async () => {
    const first = await patternFor(42, 40);
    const second = await patternFor(42, 40);
    const other = await patternFor(7, 40);
    assert.deepEqual(second, first);
    assert.notDeepEqual(other.statuses, first.statuses);
    assert.ok(first.kinds.length > 0, 'some faults were injected');
    const expectedStatus: Record<string, number> = { query_limit: 503, '5xx': 500, operation_time_limit: 429 };
    assert.deepEqual(
      first.statuses.filter((status) => status !== 200),
      first.kinds.map((kind) => expectedStatus[kind]),
    );
  });

  it('injects at about the configured rate, on the planned portal and methods only', async () => {
    const a = emulator.portal('portal-a.bitrix24.test');
    const b = emulator.portal('portal-b.bitrix24.test');
    a.faults.set({ rate: 0.2, kinds: ['5xx'], seed: 1, methods: ['user.admin'] });
    const authA = a.issueTokens(1).accessToken;
    const authB = b.issueTokens(1).accessToken;
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      const answer = await callJson(a.clientEndpoint, 'user.admin', { auth: authA });
      if (answer.status === 500) {
        assert.deepEqual(answer.body, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
        failed++;
      }
    }
    assert.ok(failed >= 20 && failed <= 60, `${failed} of 200 failed at rate 0.2`);
    for (let i = 0; i < 20; i++) {
      assert.equal(
        (await callJson(b.clientEndpoint, 'user.admin', { auth: authB })).status,
        200,
        'portal B has no plan',
      );
      assert.equal(
        (await callJson(a.clientEndpoint, 'profile', { auth: authA })).status,
        200,
        'profile is not planned',
      );
    }
    assert.equal(a.faults.injected().length, failed);
  });

  it('hits only the next call with a one-shot fault', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const auth = portal.issueTokens(1).accessToken;
    portal.faults.nextCall('user.current', 'query_limit');
    assert.equal((await callJson(portal.clientEndpoint, 'profile', { auth })).status, 200);
    const hit = await callJson(portal.clientEndpoint, 'user.current', { auth });
    assert.equal(hit.status, 503);
    assert.equal(hit.body.error, 'QUERY_LIMIT_EXCEEDED');
    assert.equal((await callJson(portal.clientEndpoint, 'user.current', { auth })).status, 200);
    const log = portal.requests().filter((entry) => entry.fault !== undefined);
    assert.deepEqual(log.at(-1)?.fault, 'query_limit');
  });

  it('expires the token for real on an injected expired_token, until the client refreshes', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const grant = portal.issueTokens(1);
    portal.faults.nextCall('profile', 'expired_token');
    const first = await callJson(portal.clientEndpoint, 'profile', { auth: grant.accessToken });
    assert.equal(first.status, 401);
    assert.equal(first.body.error, 'expired_token');
    const retry = await callJson(portal.clientEndpoint, 'profile', { auth: grant.accessToken });
    assert.equal(retry.body.error, 'expired_token', 'retrying with the same token does not help');
    const renewed = await getJson(
      `${emulator.tokenEndpoint}?grant_type=refresh_token&client_id=${portal.clientId}&client_secret=${portal.clientSecret}&refresh_token=${grant.refreshToken}`,
    );
    const fresh = await callJson(portal.clientEndpoint, 'profile', { auth: renewed.body.access_token });
    assert.equal((resultOf(fresh) as { ID: string }).ID, '1');
  });

  it('holds a timed-out call and drops the socket; timeout does not run it, timeout_after_execute does', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const auth = portal.issueTokens(1).accessToken;
    const dealId = portal.createDeal({ title: 'Timeout' }).id;
    const comment = (text: string) =>
      callJson(portal.clientEndpoint, 'crm.timeline.comment.add', {
        auth,
        fields: { ENTITY_ID: dealId, ENTITY_TYPE: 'deal', COMMENT: text },
      });
    portal.faults.nextCall('crm.timeline.comment.add', 'timeout');
    const started = Date.now();
    await assert.rejects(comment('lost'), /fetch failed|socket|terminated/i);
    assert.ok(Date.now() - started >= 250, 'the answer was held before the drop');
    portal.faults.nextCall('crm.timeline.comment.add', 'timeout_after_execute');
    await assert.rejects(comment('ran anyway'));
    assert.deepEqual(
      portal.timeline(dealId).map((entry) => entry.comment),
      ['ran anyway'],
    );
    const aborted = fetch(`${portal.clientEndpoint}profile`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth }),
      signal: AbortSignal.timeout(100),
    });
    portal.faults.nextCall('profile', 'timeout');
    await assert.rejects(aborted, /abort|timeout/i);
    const dropped = portal.requests().filter((entry) => entry.fault?.startsWith('timeout'));
    assert.ok(dropped.length >= 3 && dropped.every((entry) => entry.status === 0));
  });
});
