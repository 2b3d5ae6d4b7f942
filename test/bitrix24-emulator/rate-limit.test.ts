/**
 * The leaky bucket over raw HTTP: a burst of 50 passes, the 51st answers 503 QUERY_LIMIT_EXCEEDED, then the
 * bucket drains 2 requests per second; per portal; configurable; recorded so client tests can replay the
 * log with `leakyBucketPeak`. A fake clock makes the counts exact; one test runs on the real clock.
 */
import assert from 'node:assert/strict';
import { leakyBucketPeak, type PortalEmulator, startPortalEmulator } from '../support/bitrix24-emulator/index.js';
import { callJson, sleep } from './raw-http.js';

async function statuses(endpoint: string, auth: string, count: number): Promise<number[]> {
  const answers = await Promise.all(Array.from({ length: count }, () => callJson(endpoint, 'user.admin', { auth })));
  return answers.map((answer) => answer.status);
}

function count(list: number[], status: number): number {
  return list.filter((value) => value === status).length;
}

describe('Bitrix24 emulator: rate limiting', () => {
  let emulator: PortalEmulator;
  let clock = Date.UTC(2026, 7, 21, 12, 0, 0);

  before(async () => {
    emulator = await startPortalEmulator({
      now: () => clock,
      portals: [
        { domain: 'portal-a.bitrix24.test' },
        { domain: 'portal-b.bitrix24.test' },
        { domain: 'enterprise.bitrix24.test', rateLimit: { burst: 250, drainPerSecond: 5 } },
      ],
    });
  });
  after(() => emulator.close());

  it('lets a burst of 50 through, answers 503 QUERY_LIMIT_EXCEEDED above it, then drains 2 per second', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const auth = portal.issueTokens(1).accessToken;
    const burst = await statuses(portal.clientEndpoint, auth, 50);
    assert.equal(count(burst, 200), 50);
    const over = await callJson(portal.clientEndpoint, 'user.admin', { auth });
    assert.equal(over.status, 503);
    assert.deepEqual(over.body, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    clock += 1000;
    const afterOneSecond = await statuses(portal.clientEndpoint, auth, 4);
    assert.deepEqual([count(afterOneSecond, 200), count(afterOneSecond, 503)], [2, 2]);
    clock += 500;
    assert.equal(count(await statuses(portal.clientEndpoint, auth, 3), 200), 1);
    clock += 25_000;
    assert.equal(
      count(await statuses(portal.clientEndpoint, auth, 50), 200),
      50,
      'an empty bucket allows a burst again',
    );
  });

  it('keeps one bucket per portal, honours a configured limit, and counts 503s in the request log', async () => {
    const b = emulator.portal('portal-b.bitrix24.test');
    const authB = b.issueTokens(1).accessToken;
    assert.equal(
      count(await statuses(b.clientEndpoint, authB, 50), 200),
      50,
      "portal A's burst did not drain B's bucket",
    );
    const enterprise = emulator.portal('enterprise.bitrix24.test');
    const authE = enterprise.issueTokens(1).accessToken;
    assert.equal(count(await statuses(enterprise.clientEndpoint, authE, 251), 200), 250);
    const limited = emulator
      .portal('portal-a.bitrix24.test')
      .requests()
      .filter((entry) => entry.rateLimited);
    assert.ok(limited.length >= 4);
    assert.ok(limited.every((entry) => entry.status === 503 && entry.error === 'QUERY_LIMIT_EXCEEDED'));
  });

  it('replays a request log through leakyBucketPeak to check a client kept the pace', () => {
    const paced = Array.from({ length: 200 }, (_, i) => (i < 50 ? 0 : (i - 49) * 500));
    assert.ok(leakyBucketPeak(paced, 2) <= 50, `peak ${leakyBucketPeak(paced, 2)}`);
    const tooFast = Array.from({ length: 200 }, (_, i) => i * 100);
    assert.ok(leakyBucketPeak(tooFast, 2) > 50);
    const times = emulator
      .portal('portal-b.bitrix24.test')
      .requests()
      .map((entry) => entry.atMs);
    assert.equal(leakyBucketPeak(times, 2), 50);
  });
});

describe('Bitrix24 emulator: rate limiting on the real clock', () => {
  let emulator: PortalEmulator;

  before(async () => {
    emulator = await startPortalEmulator({ rateLimit: { burst: 10, drainPerSecond: 2 } });
  });
  after(() => emulator.close());

  it('refuses over the burst and admits about 2 more after a second', async () => {
    const portal = emulator.portal('portal-a.bitrix24.test');
    const auth = portal.issueTokens(1).accessToken;
    const first = await statuses(portal.clientEndpoint, auth, 14);
    // The requests take a few milliseconds to arrive, during which the bucket drains a little.
    assert.ok(count(first, 200) >= 10 && count(first, 200) <= 11, JSON.stringify(first));
    assert.ok(count(first, 503) >= 3, JSON.stringify(first));
    await sleep(1100);
    const later = await statuses(portal.clientEndpoint, auth, 5);
    assert.ok(count(later, 200) >= 2 && count(later, 200) <= 3, JSON.stringify(later));
  });
});
