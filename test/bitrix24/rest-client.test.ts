/**
 * The REST client against the portal emulator (test/support/bitrix24-emulator): token refresh (once per
 * portal, also across two processes sharing one store file), the rotated refresh token stored encrypted,
 * back-off on QUERY_LIMIT_EXCEEDED / OPERATION_TIME_LIMIT, the per-portal bucket, lost answers (reads
 * repeated, writes not), batch errors, ACCESS_DENIED, downloads, and no token in any log line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { requestTokenRefresh } from '../../shared/bitrix24/oauth-refresh.js';
import { openPortalTokens } from '../../shared/bitrix24/portal-tokens.js';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { rejectsWith } from '../store/store-fixtures.js';
import { leakyBucketPeak, type PortalHandle } from '../support/bitrix24-emulator/index.js';
import { B24Fixture } from './b24-fixture.js';
import { runClientProcesses } from './client-process.js';

const APP = {
  clientId: 'local.5f3a9c1b2d4e6f.12345678',
  clientSecret: 'Zx9SecretOfTheLocalAppNeverLogged0123456789abcd',
};

describe('Bitrix24 REST client against the portal emulator', function () {
  this.timeout(120_000);
  const fx = new B24Fixture();
  let a: PortalHandle;
  let b: PortalHandle;
  let c: PortalHandle;

  before(async () => {
    await fx.start({
      app: APP,
      portals: [
        { domain: 'portal-a.bitrix24.test' },
        { domain: 'portal-b.bitrix24.test' },
        { domain: 'portal-c.bitrix24.test' },
      ],
      timeoutHoldMs: 3000,
    });
    a = fx.emulator.portal('portal-a.bitrix24.test');
    b = fx.emulator.portal('portal-b.bitrix24.test');
    c = fx.emulator.portal('portal-c.bitrix24.test');
    for (const p of [a, b, c]) await fx.install(p);
  });
  after(() => fx.close());
  afterEach(() => fx.emulator.faults.clear());

  const storedPair = async (p: PortalHandle) => {
    const portal = await fx.store.portals.get(p.memberId);
    assert.ok(portal?.tokens, `portal ${p.domain} has stored tokens`);
    return openPortalTokens(fx.masterKey, p.memberId, portal.tokens);
  };
  const callsOf = (p: PortalHandle, method: string) => p.requests().filter((r) => r.method === method);

  it('an expired token is refreshed once and the call repeated; the rotated pair is stored encrypted', async () => {
    const client = fx.client(a);
    const before = await storedPair(a);
    assert.equal((await client.call<{ ID: string }>(a.memberId, 'user.current')).result.ID, '1');
    a.forceExpireTokens();
    const refreshes = fx.refreshes(a);
    const answer = await client.call<{ ID: string }>(a.memberId, 'user.current');
    assert.equal(answer.result.ID, '1');
    assert.equal(fx.refreshes(a) - refreshes, 1, 'exactly one OAuth refresh');
    const after = await storedPair(a);
    fx.secrets.add(after.accessToken).add(after.refreshToken);
    assert.notEqual(after.refreshToken, before.refreshToken, 'the rotated refresh token replaced the old one');
    const stale = await requestTokenRefresh({
      serverEndpoint: a.serverEndpoint,
      memberId: a.memberId,
      ...APP,
      refreshToken: before.refreshToken,
    }).then(
      () => assert.fail('the old refresh token still worked'),
      (e: unknown) => e,
    );
    assert.ok(stale instanceof AppError && stale.code === ErrorCode.B24_AUTH_FAILED, String(stale));
    const files = [fx.storeFile, `${fx.storeFile}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'));
    const raw = files.join('');
    assert.ok(raw.includes(a.memberId), 'the store files were read');
    for (const secret of [after.accessToken, after.refreshToken, before.refreshToken]) {
      assert.ok(!raw.includes(secret), 'a token is in the store file in clear');
    }
  });

  it('10 concurrent calls that all meet expired_token cause exactly one refresh', async () => {
    const client = fx.client(a);
    await client.call(a.memberId, 'user.current');
    a.forceExpireTokens();
    const refreshes = fx.refreshes(a);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => client.call<{ ID: string }>(a.memberId, 'user.current')),
    );
    assert.deepEqual(
      answers.map((r) => r.result.ID),
      Array(10).fill('1'),
    );
    assert.equal(fx.refreshes(a) - refreshes, 1);
  });

  it('two processes sharing one store file refresh once between them (the store lease)', async () => {
    const client = fx.client(b);
    await client.call(b.memberId, 'user.current');
    b.forceExpireTokens();
    const refreshes = fx.refreshes(b);
    const results = await runClientProcesses(2, {
      storeFile: fx.storeFile,
      masterKey: fx.masterKeyBytes.toString('base64'),
      memberId: b.memberId,
      app: APP,
      calls: 5,
    });
    assert.deepEqual(results, [5, 5], 'every call of both processes succeeded');
    assert.equal(fx.refreshes(b) - refreshes, 1, 'one refresh across both processes');
    const pair = await storedPair(b);
    fx.secrets.add(pair.accessToken).add(pair.refreshToken);
    assert.equal(
      (await client.call<{ ID: string }>(b.memberId, 'user.current')).result.ID,
      '1',
      'this process picks up the new tokens',
    );
  });

  it('QUERY_LIMIT_EXCEEDED and OPERATION_TIME_LIMIT are backed off and repeated, for writes too (they did not run)', async () => {
    const client = fx.client(a);
    const deal = a.createDeal({ title: 'Supply contract' });
    a.faults.nextCall('crm.item.update', 'query_limit');
    await client.call(a.memberId, 'crm.item.update', {
      entityTypeId: 2,
      id: deal.id,
      fields: { title: 'Supply contract v2' },
    });
    assert.equal(a.getDeal(deal.id)?.title, 'Supply contract v2');
    assert.deepEqual(
      callsOf(a, 'crm.item.update').map((r) => r.status),
      [503, 200],
    );
    a.faults.nextCall('crm.item.fields', 'operation_time_limit');
    const fields = await client.call<{ fields: Record<string, unknown> }>(a.memberId, 'crm.item.fields', {
      entityTypeId: 2,
    });
    assert.ok(fields.result.fields);
    assert.deepEqual(
      callsOf(a, 'crm.item.fields').map((r) => r.status),
      [429, 200],
    );
    assert.ok(
      fx.logs.some((l) => l.includes('"failure":"rate-limited"')) &&
        fx.logs.some((l) => l.includes('"failure":"operation-limit"')),
    );
  });

  it('gives up with B24_RATE_LIMITED (transient) when the limit persists', async () => {
    const client = fx.client(a, { maxAttempts: 3, backoff: { baseMs: 50, maxMs: 100 } });
    fx.emulator.faults.set({ portal: a.domain, rate: 1, kinds: ['query_limit'], seed: 7, methods: ['user.get'] });
    const error = await rejectsWith(client.call(a.memberId, 'user.get'), ErrorCode.B24_RATE_LIMITED);
    assert.equal(errorOutcome(error).transient, true);
    assert.equal(callsOf(a, 'user.get').length, 3);
  });

  it('a lost answer: reads are repeated, writes (bizproc.event.send, crm.item.update) are not', async () => {
    const client = fx.client(a, { timeoutMs: 800 });
    const deal = a.createDeal({ title: 'Lease' });
    a.faults.nextCall('crm.item.get', 'timeout');
    const got = await client.call<{ item: { id: number } }>(a.memberId, 'crm.item.get', {
      entityTypeId: 2,
      id: deal.id,
    });
    assert.equal(got.result.item.id, deal.id);
    assert.equal(
      callsOf(a, 'crm.item.get').filter((r) => r.params.id === deal.id || r.params.id === String(deal.id)).length,
      2,
    );

    const updates = callsOf(a, 'crm.item.update').length;
    a.faults.nextCall('crm.item.update', 'timeout_after_execute');
    const lost = await rejectsWith(
      client.call(a.memberId, 'crm.item.update', { entityTypeId: 2, id: deal.id, fields: { title: 'Lease (signed)' } }),
      ErrorCode.B24_OUTCOME_UNKNOWN,
    );
    assert.match(lost.message, /may have taken effect/);
    assert.equal(callsOf(a, 'crm.item.update').length - updates, 1, 'the write was sent once');
    assert.equal(a.getDeal(deal.id)?.title, 'Lease (signed)', 'and it did run');

    const sends = callsOf(a, 'bizproc.event.send').length;
    a.faults.nextCall('bizproc.event.send', 'timeout');
    await rejectsWith(
      client.call(a.memberId, 'bizproc.event.send', { EVENT_TOKEN: 'x|y|z', RETURN_VALUES: { signed: 'Y' } }),
      ErrorCode.B24_OUTCOME_UNKNOWN,
    );
    assert.equal(callsOf(a, 'bizproc.event.send').length - sends, 1, 'bizproc.event.send was not repeated');

    a.faults.nextCall('crm.item.update', 'timeout');
    await client.call(
      a.memberId,
      'crm.item.update',
      { entityTypeId: 2, id: deal.id, fields: { title: 'Lease 2' } },
      { idempotent: true },
    );
    assert.equal(a.getDeal(deal.id)?.title, 'Lease 2', 'a caller may declare a write idempotent');
  });

  it('ACCESS_DENIED on bizproc.event.send is a permanent B24_ACCESS_DENIED', async () => {
    const client = fx.client(a);
    const error = await rejectsWith(
      client.call(a.memberId, 'bizproc.event.send', {
        EVENT_TOKEN: 'forged|A1_2_3_4|token.signature',
        RETURN_VALUES: { signed: 'Y' },
      }),
      ErrorCode.B24_ACCESS_DENIED,
    );
    assert.equal(errorOutcome(error).transient, false);
    assert.equal(error.details?.b24Error, 'ACCESS_DENIED');
    assert.equal(callsOf(a, 'bizproc.event.send').at(-1)?.status, 403);
  });

  it('batch: results and result_error per command, errors thrown unless allowed, at most 50 commands', async () => {
    const client = fx.client(a);
    const deal = a.createDeal({ title: 'Batch deal' });
    const commands = {
      deal: { method: 'crm.item.get', params: { entityTypeId: 2, id: deal.id } },
      missing: { method: 'crm.item.get', params: { entityTypeId: 2, id: 987654 } },
    };
    const result = await client.batch(a.memberId, commands, { allowErrors: true });
    assert.equal((result.results.deal as { item: { title: string } }).item.title, 'Batch deal');
    assert.ok(result.errors.missing?.error, 'the failed command is reported');
    assert.equal(result.errors.deal, undefined);
    const thrown = await rejectsWith(client.batch(a.memberId, commands), ErrorCode.B24_METHOD_FAILED);
    assert.match(thrown.message, /batch command missing \(crm\.item\.get\)/);
    await rejectsWith(
      client.batch(a.memberId, [{ method: 'bizproc.event.send', params: { EVENT_TOKEN: 'bad|token|x' } }]),
      ErrorCode.B24_ACCESS_DENIED,
    );
    const many = Array.from({ length: 51 }, () => ({ method: 'user.current' }));
    await rejectsWith(client.batch(a.memberId, many), ErrorCode.INVALID_ARGUMENT);
    await rejectsWith(client.batch(a.memberId, [{ method: 'batch' }]), ErrorCode.INVALID_ARGUMENT);
  });

  it('downloads a deal file through urlMachine, only from the portal itself', async () => {
    const client = fx.client(a);
    const pdf = Buffer.from('%PDF-1.7\n% a test file\n');
    const deal = a.createDeal({
      title: 'With file',
      files: { UF_CRM_CONTRACT_PDF: [{ name: 'contract.pdf', bytes: pdf }] },
    });
    const item = await client.call<{ item: Record<string, { urlMachine: string }[]> }>(a.memberId, 'crm.item.get', {
      entityTypeId: 2,
      id: deal.id,
      useOriginalUfNames: 'Y',
    });
    const link = item.result.item.UF_CRM_CONTRACT_PDF?.[0]?.urlMachine as string;
    a.forceExpireTokens();
    assert.deepEqual(await client.download(a.memberId, link), pdf, 'the link works after a refresh too');
    await rejectsWith(
      client.download(a.memberId, 'https://evil.example.com/file.pdf?auth='),
      ErrorCode.B24_INVALID_PAYLOAD,
    );
    await rejectsWith(client.download(a.memberId, link, { maxBytes: 5 }), ErrorCode.B24_METHOD_FAILED);
    const pair = await storedPair(a);
    fx.secrets.add(pair.accessToken).add(pair.refreshToken);
  });

  it('keeps a portal at 2 requests/s after a burst of 50, so the portal throttle is not hit; other portals are not slowed', async () => {
    const client = fx.client(c);
    const start = Date.now();
    const first = callsOf(c, 'user.current').length;
    const burst = Promise.all(Array.from({ length: 60 }, () => client.call(c.memberId, 'user.current')));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const otherStart = Date.now();
    await Promise.all(Array.from({ length: 3 }, () => client.call(b.memberId, 'user.current')));
    const otherMs = Date.now() - otherStart;
    await burst;
    const elapsed = Date.now() - start;
    const calls = callsOf(c, 'user.current').slice(first);
    assert.equal(calls.length, 60);
    assert.equal(calls.filter((r) => r.rateLimited).length, 0, 'the emulator never had to refuse');
    assert.ok(
      leakyBucketPeak(
        calls.map((r) => r.atMs),
        2,
      ) <= 50,
    );
    assert.ok(elapsed >= 4500, `60 calls at 2/s after a burst must take about 5 s, took ${elapsed} ms`);
    assert.ok(otherMs < 1500, `portal B waited ${otherMs} ms behind portal C`);
  });

  it('wrote no token, secret or application token to the log', () => {
    assert.ok(
      fx.logs.length > 20 && fx.logs.some((l) => l.includes('bitrix24 tokens refreshed')),
      'the log sink captured the client',
    );
    assert.ok(fx.secrets.size >= 10);
    for (const line of fx.logs)
      for (const secret of fx.secrets) assert.ok(!line.includes(secret), `a secret leaked into: ${line.slice(0, 120)}`);
  });
});
