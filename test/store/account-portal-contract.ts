/**
 * The account part of the store contract that issue 10 added: an account belongs to one portal (or none),
 * its Bitrix24 link never names another portal, the e-mail fallback links by compare-and-set only, and
 * the tally behind the rate limit of `otp_failed` entries counts every attempt.
 */
import assert from 'node:assert/strict';
import { makeAccount, rejectsWith, type StoreFixture } from './store-fixtures.js';

const at = (second: number) => new Date(Date.UTC(2025, 2, 1, 12, 0, second));

/** Accounts: portal binding, linking and the failure tally. */
export function describeAccountPortalContract(fx: StoreFixture): void {
  describe('accounts: portal binding, compare-and-set linking, failed-code tally', () => {
    it('keeps the portal, lists one portal’s accounts, and leaves service-wide accounts out', async () => {
      const a1 = makeAccount({ login: 'a1', memberId: 'portal-a' });
      const a2 = makeAccount({ login: 'a2', memberId: 'portal-a', bitrix: { memberId: 'portal-a', userId: 3 } });
      const b1 = makeAccount({ login: 'b1', memberId: 'portal-b' });
      const ops = makeAccount({ login: 'ops' });
      for (const a of [a2, b1, ops, a1]) await fx.store.accounts.create(a);
      assert.deepEqual(await fx.store.accounts.get(a1.id), a1);
      assert.equal((await fx.store.accounts.get(ops.id))?.memberId, undefined);
      const ofA = await fx.store.accounts.list({ memberId: 'portal-a' });
      assert.deepEqual(
        ofA.map((a) => a.login),
        ['a1', 'a2'],
      );
      assert.deepEqual(
        (await fx.store.accounts.list({ memberId: 'portal-b' })).map((a) => a.login),
        ['b1'],
      );
      assert.deepEqual(await fx.store.accounts.list({ memberId: 'portal-c' }), []);
      assert.equal((await fx.store.accounts.list()).length, 4);
      assert.equal((await fx.store.accounts.list({})).length, 4);
    });

    it('refuses a link to another portal’s user, on create and on update (INVALID_ARGUMENT)', async () => {
      const foreign = { memberId: 'portal-b', userId: 4 };
      await rejectsWith(
        fx.store.accounts.create(makeAccount({ memberId: 'portal-a', bitrix: foreign })),
        'INVALID_ARGUMENT',
      );
      const serviceWide = makeAccount({ login: 'ops' });
      await rejectsWith(fx.store.accounts.create({ ...serviceWide, bitrix: foreign }), 'INVALID_ARGUMENT');
      await fx.store.accounts.create(serviceWide);
      await rejectsWith(fx.store.accounts.update({ ...serviceWide, bitrix: foreign }), 'INVALID_ARGUMENT');
      const mine = makeAccount({ login: 'mine', memberId: 'portal-a' });
      await fx.store.accounts.create(mine);
      await rejectsWith(fx.store.accounts.update({ ...mine, bitrix: foreign }), 'INVALID_ARGUMENT');
      assert.equal((await fx.store.accounts.get(mine.id))?.bitrix, undefined);
      assert.equal((await fx.store.accounts.list()).length, 2);
    });

    it('linkBitrixUser links an unlinked account of that portal once, and never re-links', async () => {
      const a = makeAccount({ login: 'anna', memberId: 'portal-a' });
      await fx.store.accounts.create(a);
      assert.equal(await fx.store.accounts.linkBitrixUser(a.id, { memberId: 'portal-b', userId: 9 }, at(1)), false);
      assert.equal(await fx.store.accounts.linkBitrixUser(a.id, { memberId: 'portal-a', userId: 9 }, at(2)), true);
      const linked = await fx.store.accounts.get(a.id);
      assert.deepEqual(linked?.bitrix, { memberId: 'portal-a', userId: 9 });
      assert.deepEqual(linked?.updatedAt, at(2));
      assert.equal(await fx.store.accounts.linkBitrixUser(a.id, { memberId: 'portal-a', userId: 10 }, at(3)), false);
      assert.deepEqual((await fx.store.accounts.get(a.id))?.bitrix, { memberId: 'portal-a', userId: 9 });
      // A service-wide account is never linked this way.
      const ops = makeAccount({ login: 'ops' });
      await fx.store.accounts.create(ops);
      assert.equal(await fx.store.accounts.linkBitrixUser(ops.id, { memberId: 'portal-a', userId: 11 }, at(4)), false);
      assert.equal((await fx.store.accounts.get(ops.id))?.bitrix, undefined);
    });

    it('linkBitrixUser: of 10 concurrent links of one user to two accounts, exactly one account gets it', async () => {
      const x = makeAccount({ login: 'xena', memberId: 'portal-a' });
      const y = makeAccount({ login: 'yuri', memberId: 'portal-a' });
      await fx.store.accounts.create(x);
      await fx.store.accounts.create(y);
      const user = { memberId: 'portal-a', userId: 21 };
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => fx.store.accounts.linkBitrixUser(i % 2 ? x.id : y.id, user, at(i))),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const owners = [await fx.store.accounts.get(x.id), await fx.store.accounts.get(y.id)].filter((a) => a?.bitrix);
      assert.equal(owners.length, 1);
    });

    it('takeOtpFailureTally takes the tally at most once per gap and loses no attempt', async () => {
      const a = makeAccount();
      await fx.store.accounts.create(a);
      const gap = 60_000;
      const take = (second: number, add = 1, minGapMs = gap) =>
        fx.store.accounts.takeOtpFailureTally(a.id, at(second), { add, minGapMs });
      assert.equal(await take(0), 1, 'the first failure is written at once');
      assert.equal(await take(10), 0);
      assert.equal(await take(20), 0);
      assert.equal(await take(59), 0);
      assert.equal(await take(60), 4, 'a minute later: this one and the three that waited');
      assert.equal(await take(61, 0), 0, 'nothing new');
      assert.equal(await take(62), 0);
      assert.equal(await take(63, 1, 0), 2, 'minGapMs 0 (the lockout entry) always takes it');
      assert.equal(await take(64, 0, 0), 0, 'an empty tally gives nothing');
      await rejectsWith(
        fx.store.accounts.takeOtpFailureTally('no-such-id', at(0), { add: 1, minGapMs: 0 }),
        'ACCOUNT_NOT_FOUND',
      );
    });

    it('takeOtpFailureTally: of 20 concurrent failures one takes the tally, and the rest wait counted', async () => {
      const a = makeAccount();
      await fx.store.accounts.create(a);
      const taken = await Promise.all(
        Array.from({ length: 20 }, () =>
          fx.store.accounts.takeOtpFailureTally(a.id, at(0), { add: 1, minGapMs: 60_000 }),
        ),
      );
      assert.equal(taken.filter((n) => n > 0).length, 1);
      const later = await fx.store.accounts.takeOtpFailureTally(a.id, at(0), { add: 0, minGapMs: 0 });
      assert.equal(taken.reduce((s, n) => s + n, 0) + later, 20);
    });
  });
}
