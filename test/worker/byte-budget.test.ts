/** The worker's byte budget: what fits goes at once, small reservations pass a big waiting one, nothing starves. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ByteBudget } from '../../worker/byte-budget.js';

const MB = 1024 * 1024;

describe('ByteBudget', () => {
  it('grants what fits at once and makes the rest wait for a release', async () => {
    const budget = new ByteBudget(256 * MB);
    const first = await budget.reserve(180 * MB);
    let granted = false;
    const waiting = budget.reserve(180 * MB).then((release) => {
      granted = true;
      return release;
    });
    await sleep(10);
    assert.equal(granted, false, 'a second big document waits');
    assert.equal(budget.inUse, 180 * MB);
    first();
    const second = await waiting;
    assert.equal(budget.inUse, 180 * MB);
    second();
    second();
    assert.equal(budget.inUse, 0, 'a release counts once');
  });

  it('lets small reservations pass a big one that waits, and runs a reservation larger than the budget alone', async () => {
    const budget = new ByteBudget(256 * MB);
    const big = await budget.reserve(180 * MB);
    const order: string[] = [];
    const bigger = budget.reserve(180 * MB).then((release) => {
      order.push('big');
      return release;
    });
    const smalls = Array.from({ length: 5 }, (_, i) =>
      budget.reserve(MB).then((release) => {
        order.push(`small${i}`);
        release();
      }),
    );
    await Promise.all(smalls);
    assert.deepEqual(order, ['small0', 'small1', 'small2', 'small3', 'small4']);
    big();
    (await bigger)();
    const huge = await budget.reserve(1024 * MB);
    assert.equal(budget.inUse, 1024 * MB, 'a document larger than the budget runs when nothing else does');
    let next = false;
    const after = budget.reserve(MB).then((release) => {
      next = true;
      release();
    });
    await sleep(10);
    assert.equal(next, false, 'and alone');
    huge();
    await after;
  });
});
