/** The client's per-portal pacing on a fake clock: burst, sustained rate, independence, penalty. */
import assert from 'node:assert/strict';
import { LeakyBucket } from '../../shared/bitrix24/leaky-bucket.js';

describe('LeakyBucket (per-portal pacing)', () => {
  it('lets a burst through at once (one slot of headroom), then paces at the drain rate', () => {
    let now = 1_000_000;
    const bucket = new LeakyBucket({ perSecond: 2, burst: 50 }, () => now);
    const waits = Array.from({ length: 60 }, () => bucket.reserve('a'));
    assert.deepEqual(waits.slice(0, 49), Array(49).fill(0));
    assert.deepEqual(waits.slice(49, 53), [500, 1000, 1500, 2000]);
    assert.equal(bucket.reserve('b'), 0, 'another portal has its own bucket');
    now += 60_000;
    assert.equal(bucket.reserve('a'), 0, 'drained after a minute');
  });

  it('after the portal said QUERY_LIMIT_EXCEEDED the next request waits a drain interval', () => {
    const now = 5_000;
    const bucket = new LeakyBucket({ perSecond: 5, burst: 250 }, () => now);
    bucket.penalize('a');
    assert.equal(bucket.reserve('a'), 200);
    assert.equal(bucket.reserve('a'), 400);
  });

  it('refuses a nonsensical limit', () => {
    assert.throws(() => new LeakyBucket({ perSecond: 0, burst: 50 }), RangeError);
  });
});
