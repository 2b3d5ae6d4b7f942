/**
 * The named-lease part of the store contract: one holder, re-entrant for its owner, released only by it,
 * taken over after expiry; of concurrent acquisitions exactly one wins, also across two stores opened over
 * the same storage (`fx.reopen`, two processes' view) — the portal refresh lease is one of these leases.
 */
import assert from 'node:assert/strict';
import { portalRefreshLease } from '../../shared/store/lease-name.js';
import { rejectsWith, type StoreFixture } from './store-fixtures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers the lease tests on the contract's per-test store. */
export function describeLeaseContract(fx: StoreFixture): void {
  describe('named leases', () => {
    it('one holder, re-entrant for its owner, released only by it, taken over after expiry', async () => {
      const leases = fx.store.leases;
      const name = 'deal-deliveries/member-1/2/17';
      assert.equal(await leases.acquire(name, 'A', 60_000), true);
      assert.equal(await leases.acquire(name, 'B', 60_000), false);
      assert.equal(await leases.acquire(name, 'A', 60_000), true, 'the owner may extend');
      assert.equal(await leases.acquire('deal-deliveries/member-1/2/18', 'B', 60_000), true, 'leases are per name');
      await leases.release(name, 'B');
      assert.equal(await leases.acquire(name, 'B', 60_000), false, 'B cannot release the lease of A');
      await leases.release(name, 'A');
      assert.equal(await leases.acquire(name, 'B', 200), true, 'free after release');
      assert.equal(await leases.acquire(name, 'C', 60_000), false, 'not expired yet');
      await sleep(450);
      assert.equal(await leases.acquire(name, 'C', 60_000), true, 'an expired lease is taken over');
      await leases.release(name, 'B');
      assert.equal(await leases.acquire(name, 'D', 60_000), false, 'the late release of B freed nothing');
      await leases.release('never-taken', 'A');
    });

    it('an extension moves the expiry: the owner that took it again keeps it past the first lifetime', async () => {
      const leases = fx.store.leases;
      assert.equal(await leases.acquire('extended', 'A', 300), true);
      await sleep(150);
      assert.equal(await leases.acquire('extended', 'A', 60_000), true);
      await sleep(400);
      assert.equal(await leases.acquire('extended', 'B', 60_000), false, 'still held: the extension counts');
    });

    it('of 20 concurrent acquisitions from different owners exactly one succeeds', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => fx.store.leases.acquire('race', `owner-${i}`, 60_000)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('across two stores over the same storage (two processes): exactly one winner, then the other after release', async () => {
      const other = await fx.reopen();
      try {
        const stores = [fx.store, other];
        for (let round = 0; round < 5; round++) {
          const name = `shared-${round}`;
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              (stores[i % 2] as typeof other).leases.acquire(name, `o-${i}`, 60_000),
            ),
          );
          assert.equal(results.filter(Boolean).length, 1, `round ${round}: one winner`);
          const winner = results.indexOf(true);
          await other.leases.release(name, 'someone-else');
          await fx.store.leases.release(name, 'someone-else');
          assert.equal(await other.leases.acquire(name, 'late', 60_000), false, 'held, whichever store asks');
          assert.equal(await fx.store.leases.acquire(name, 'late', 60_000), false);
          // The owner's release, made through the store the winner did not use, frees it for both.
          await (stores[(winner + 1) % 2] as typeof other).leases.release(name, `o-${winner}`);
          assert.equal(await (stores[round % 2] as typeof other).leases.acquire(name, 'late', 60_000), true);
        }
      } finally {
        await other.close();
      }
    });

    it('the portal refresh lease is the named lease portal-refresh/<member id>', async () => {
      assert.equal(await fx.store.portals.acquireRefreshLock('member-x', 'A', 60_000), true);
      assert.equal(await fx.store.leases.acquire(portalRefreshLease('member-x'), 'B', 60_000), false);
      await fx.store.leases.release(portalRefreshLease('member-x'), 'A');
      assert.equal(await fx.store.portals.acquireRefreshLock('member-x', 'B', 60_000), true);
    });

    it('refuses an empty name or owner and a lifetime that is not positive (INVALID_ARGUMENT)', async () => {
      await rejectsWith(fx.store.leases.acquire('', 'A', 1000), 'INVALID_ARGUMENT');
      await rejectsWith(fx.store.leases.acquire('x'.repeat(301), 'A', 1000), 'INVALID_ARGUMENT');
      await rejectsWith(fx.store.leases.acquire('n', '', 1000), 'INVALID_ARGUMENT');
      await rejectsWith(fx.store.leases.acquire('n', 'A', 0), 'INVALID_ARGUMENT');
      await rejectsWith(fx.store.leases.acquire('n', 'A', Number.NaN), 'INVALID_ARGUMENT');
    });
  });
}
