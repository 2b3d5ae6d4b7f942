/** The account part of the store contract: identity, lookups, updates and the atomic OTP state. */
import assert from 'node:assert/strict';
import type { Account } from '../../shared/domain/account.js';
import { enrolled, makeAccount, rejectsWith, type StoreFixture } from './store-fixtures.js';

/** Accounts: create, find, update, uniqueness. */
export function describeAccountContract(fx: StoreFixture): void {
  describe('accounts', () => {
    it('creates and reads back every field, nested values and dates included', async () => {
      const a = enrolled(12345, {
        login: 'Mary.Ivanova',
        email: 'Mary@Example.org',
        bitrix: { memberId: 'a1b2c3', userId: 17 },
        lockout: { failures: [new Date('2025-03-01T09:10:00.001Z')], lockedUntil: new Date('2025-03-01T09:30:00Z') },
      });
      await fx.store.accounts.create(a);
      assert.deepEqual(await fx.store.accounts.get(a.id), a);
      assert.equal(await fx.store.accounts.get('no-such-id'), undefined);
    });

    it('keeps the language of notices, and an update can set or clear it', async () => {
      const a = makeAccount({ login: 'lang.ru', language: 'ru' });
      await fx.store.accounts.create(a);
      assert.equal((await fx.store.accounts.get(a.id))?.language, 'ru');
      await fx.store.accounts.update({ ...a, language: 'en' });
      assert.equal((await fx.store.accounts.get(a.id))?.language, 'en');
      const { language: _dropped, ...without } = a;
      await fx.store.accounts.update(without);
      const cleared = await fx.store.accounts.get(a.id);
      assert.ok(cleared && !('language' in cleared), 'an account without a language reads back without the field');
    });

    it('finds by login case-insensitively, Cyrillic included', async () => {
      const a = makeAccount({ login: 'Мария.Петрова' });
      await fx.store.accounts.create(a);
      assert.equal((await fx.store.accounts.getByLogin('МАРИЯ.ПЕТРОВА'))?.id, a.id);
      assert.equal((await fx.store.accounts.getByLogin('мария.петрова'))?.login, 'Мария.Петрова');
      assert.equal(await fx.store.accounts.getByLogin('мария'), undefined);
    });

    it('refuses a login taken in another case with ACCOUNT_EXISTS and keeps the first account', async () => {
      const first = makeAccount({ login: 'Ivan' });
      await fx.store.accounts.create(first);
      const err = await rejectsWith(fx.store.accounts.create(makeAccount({ login: 'IVAN' })), 'ACCOUNT_EXISTS');
      assert.match(err.message, /IVAN/);
      await fx.store.accounts.create(makeAccount({ login: 'иван' }));
      // Case folding beyond ASCII: SQLite's NOCASE alone would let this one in.
      await rejectsWith(fx.store.accounts.create(makeAccount({ login: 'ИВАН' })), 'ACCOUNT_EXISTS');
      assert.deepEqual((await fx.store.accounts.list()).map((a) => a.login).sort(), ['Ivan', 'иван']);
      assert.deepEqual(await fx.store.accounts.get(first.id), first);
    });

    it('refuses a second account for the same Bitrix24 user, and an invalid login', async () => {
      const bitrix = { memberId: 'portal-1', userId: 5 };
      await fx.store.accounts.create(makeAccount({ bitrix }));
      const err = await rejectsWith(fx.store.accounts.create(makeAccount({ bitrix })), 'ACCOUNT_EXISTS');
      assert.match(err.message, /Bitrix24 user 5/);
      await rejectsWith(fx.store.accounts.create(makeAccount({ login: 'bad login!' })), 'INVALID_ARGUMENT');
      assert.equal((await fx.store.accounts.list()).length, 1);
    });

    it('finds by Bitrix24 user (portal + user id) and by e-mail (case-insensitive, all matches)', async () => {
      const mary = makeAccount({ login: 'mary', email: 'team@example.org', bitrix: { memberId: 'p1', userId: 7 } });
      const ivan = makeAccount({ login: 'ivan', email: 'TEAM@example.org', bitrix: { memberId: 'p2', userId: 7 } });
      const olga = makeAccount({ login: 'olga', email: 'olga@example.org' });
      for (const a of [mary, ivan, olga]) await fx.store.accounts.create(a);
      assert.equal((await fx.store.accounts.findByBitrixUser('p1', 7))?.id, mary.id);
      assert.equal((await fx.store.accounts.findByBitrixUser('p2', 7))?.id, ivan.id);
      assert.equal(await fx.store.accounts.findByBitrixUser('p1', 8), undefined);
      assert.equal(await fx.store.accounts.findByBitrixUser('p3', 7), undefined);
      const team = await fx.store.accounts.findByEmail('Team@Example.org');
      assert.deepEqual(
        team.map((a) => a.login),
        ['ivan', 'mary'],
      );
      assert.deepEqual(await fx.store.accounts.findByEmail('nobody@example.org'), []);
      assert.deepEqual(
        (await fx.store.accounts.list()).map((a) => a.login),
        ['ivan', 'mary', 'olga'],
      );
    });

    it('update replaces every field but id and createdAt (updatedAt as given), clearing optional ones', async () => {
      const a = enrolled(10, { login: 'petr', email: 'petr@example.org', bitrix: { memberId: 'p', userId: 1 } });
      await fx.store.accounts.create(a);
      const changed: Account = {
        ...a,
        login: 'Petr.S',
        description: '$ starts with a dollar sign',
        email: undefined,
        bitrix: { memberId: 'p', userId: 2 },
        status: 'disabled',
        otpDisabled: true,
        lockout: { failures: [new Date('2025-03-02T08:00:00Z')], lockedUntil: undefined },
        createdAt: new Date('2030-01-01T00:00:00Z'),
        updatedAt: new Date('2025-03-02T08:00:01.5Z'),
      };
      await fx.store.accounts.update(changed);
      assert.deepEqual(await fx.store.accounts.get(a.id), { ...changed, createdAt: a.createdAt });
      assert.equal(await fx.store.accounts.getByLogin('petr'), undefined);
      assert.equal((await fx.store.accounts.getByLogin('petr.s'))?.id, a.id);
      assert.deepEqual(await fx.store.accounts.findByEmail('petr@example.org'), []);
      await fx.store.accounts.update({ ...changed, otp: undefined });
      assert.equal((await fx.store.accounts.get(a.id))?.otp, undefined);
    });

    it('update: unknown id → ACCOUNT_NOT_FOUND; a login taken by another → ACCOUNT_EXISTS', async () => {
      await rejectsWith(fx.store.accounts.update(makeAccount()), 'ACCOUNT_NOT_FOUND');
      const a = makeAccount({ login: 'anna' });
      const b = makeAccount({ login: 'boris' });
      await fx.store.accounts.create(a);
      await fx.store.accounts.create(b);
      await rejectsWith(fx.store.accounts.update({ ...b, login: 'ANNA' }), 'ACCOUNT_EXISTS');
      assert.equal((await fx.store.accounts.get(b.id))?.login, 'boris');
    });
  });
}

/** Accounts: the atomic OTP operations. */
export function describeOtpStateContract(fx: StoreFixture): void {
  describe('accounts: OTP replay guard and lockout state', () => {
    it('acceptOtpStep accepts only steps above the last one (RFC 6238 §5.2)', async () => {
      const a = enrolled(100);
      await fx.store.accounts.create(a);
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 100), false, 'same step');
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 99), false, 'lower step');
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 101), true, 'next step');
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 101), false, 'replay of the accepted step');
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 105), true);
      assert.equal((await fx.store.accounts.get(a.id))?.otp?.lastStep, 105);
    });

    it('acceptOtpStep: an account without an authenticator accepts nothing; unknown id → ACCOUNT_NOT_FOUND', async () => {
      const a = makeAccount();
      await fx.store.accounts.create(a);
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 1), false);
      await rejectsWith(fx.store.accounts.acceptOtpStep('no-such-id', 1), 'ACCOUNT_NOT_FOUND');
    });

    it('acceptOtpStep: of 20 concurrent calls with the same step exactly one wins', async () => {
      const a = enrolled(7);
      await fx.store.accounts.create(a);
      const results = await Promise.all(Array.from({ length: 20 }, () => fx.store.accounts.acceptOtpStep(a.id, 8)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('update never lowers the last accepted step (a stale copy cannot reopen a used code)', async () => {
      const a = enrolled(50);
      await fx.store.accounts.create(a);
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 60), true);
      await fx.store.accounts.update({ ...a, description: 'edited from a copy read before the code was used' });
      assert.equal((await fx.store.accounts.get(a.id))?.otp?.lastStep, 60);
      assert.equal(await fx.store.accounts.acceptOtpStep(a.id, 60), false);
      await fx.store.accounts.update({ ...a, otp: { ...a.otp!, lastStep: 70 } });
      assert.equal((await fx.store.accounts.get(a.id))?.otp?.lastStep, 70, 'raising it works');
    });

    it('recordOtpFailure counts failures inside the window and forgets older ones', async () => {
      const a = makeAccount();
      await fx.store.accounts.create(a);
      const t = (min: number) => new Date(Date.UTC(2025, 2, 1, 12, min));
      assert.equal(await fx.store.accounts.recordOtpFailure(a.id, t(0), t(-15)), 1);
      assert.equal(await fx.store.accounts.recordOtpFailure(a.id, t(5), t(-10)), 2);
      assert.equal(await fx.store.accounts.recordOtpFailure(a.id, t(10), t(-5)), 3);
      // Window [t(5), …): the failure at t(0) drops, the one exactly at the window start stays.
      assert.equal(await fx.store.accounts.recordOtpFailure(a.id, t(20), t(5)), 3);
      assert.deepEqual((await fx.store.accounts.get(a.id))?.lockout.failures, [t(5), t(10), t(20)]);
      assert.equal(await fx.store.accounts.recordOtpFailure(a.id, t(60), t(45)), 1);
      await rejectsWith(fx.store.accounts.recordOtpFailure('no-such-id', t(0), t(-1)), 'ACCOUNT_NOT_FOUND');
    });

    it('recordOtpFailure: 10 concurrent failures are all counted', async () => {
      const a = makeAccount();
      await fx.store.accounts.create(a);
      const at = new Date('2025-03-01T12:00:00Z');
      const start = new Date('2025-03-01T11:45:00Z');
      const counts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fx.store.accounts.recordOtpFailure(a.id, new Date(at.getTime() + i), start),
        ),
      );
      assert.deepEqual(
        [...counts].sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal((await fx.store.accounts.get(a.id))?.lockout.failures.length, 10);
    });

    it('setLockedUntil sets the lock (failures kept); clearing it also forgets the failures', async () => {
      const a = makeAccount();
      await fx.store.accounts.create(a);
      const at = new Date('2025-03-01T12:00:00Z');
      await fx.store.accounts.recordOtpFailure(a.id, at, new Date('2025-03-01T11:45:00Z'));
      const until = new Date('2025-03-01T12:15:00Z');
      await fx.store.accounts.setLockedUntil(a.id, until);
      assert.deepEqual((await fx.store.accounts.get(a.id))?.lockout, { failures: [at], lockedUntil: until });
      await fx.store.accounts.setLockedUntil(a.id, undefined);
      assert.deepEqual((await fx.store.accounts.get(a.id))?.lockout, { failures: [], lockedUntil: undefined });
      await rejectsWith(fx.store.accounts.setLockedUntil('no-such-id', until), 'ACCOUNT_NOT_FOUND');
    });
  });
}
