/** Accounts against the real embedded store: creation rules, OTP switch, unlock, Bitrix24 matching. */
import assert from 'node:assert/strict';
import { type AccountService, createAccountService } from '../../shared/accounts/account-service.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { createOtpFixture, type OtpFixture } from '../support/otp-fixture.js';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

describe('account service (embedded store)', () => {
  let fx: OtpFixture;
  let accounts: AccountService;
  beforeEach(async () => {
    fx = await createOtpFixture();
    accounts = createAccountService({ store: fx.store, now: fx.now });
  });
  afterEach(() => fx.close());

  it('creates accounts with a description to tell two Marys apart, and lists them', async () => {
    const a = await accounts.add({
      login: 'mary.s',
      description: 'Mary Smith, accounting',
      email: 'mary.s@example.test',
    });
    await accounts.add({
      login: 'mary.j',
      description: 'Mary Jones, sales',
      bitrix: { memberId: 'portal-1', userId: 17 },
      actor: { role: 'cli' },
    });
    assert.equal(a.status, 'active');
    assert.equal(a.otpDisabled, false);
    assert.equal(a.otp, undefined);
    assert.deepEqual(
      (await accounts.list()).map((x) => [x.login, x.description]),
      [
        ['mary.j', 'Mary Jones, sales'],
        ['mary.s', 'Mary Smith, accounting'],
      ],
    );
    assert.equal((await accounts.get({ login: 'MARY.S' })).id, a.id);
    const created = (await fx.signLog()).filter((e) => e.action === 'account_created');
    assert.deepEqual(
      created.map((e) => [e.details?.account, e.actor.role]),
      [
        ['mary.s', 'admin'],
        ['mary.j', 'cli'],
      ],
    );
  });

  it('refuses taken logins (case-insensitively), taken Bitrix24 users and bad input', async () => {
    await accounts.add({ login: 'mary', bitrix: { memberId: 'p', userId: 1 } });
    await assert.rejects(accounts.add({ login: 'Mary' }), hasCode(ErrorCode.ACCOUNT_EXISTS));
    await assert.rejects(accounts.add({ login: 'other', bitrix: { memberId: 'p', userId: 1 } }), (e: unknown) => {
      hasCode(ErrorCode.ACCOUNT_EXISTS)(e);
      assert.match((e as Error).message, /already linked to account 'mary'/);
      return true;
    });
    await assert.rejects(accounts.add({ login: 'has space' }), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(accounts.add({ login: 'x' }), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(accounts.add({ login: 'bob', email: 'not-an-address' }), hasCode(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(
      accounts.add({ login: 'bob', bitrix: { memberId: 'p', userId: 0 } }),
      hasCode(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(accounts.get({ login: 'nobody' }), hasCode(ErrorCode.ACCOUNT_NOT_FOUND));
  });

  it('switches OTP off and on, logging both', async () => {
    await accounts.add({ login: 'mary', otpDisabled: true });
    assert.equal((await accounts.setOtpDisabled({ login: 'mary', disabled: false })).otpDisabled, false);
    assert.equal((await accounts.get({ login: 'mary' })).otpDisabled, false);
    await accounts.setOtpDisabled({ login: 'mary', disabled: true, actor: { role: 'cli' } });
    assert.equal((await accounts.get({ login: 'mary' })).otpDisabled, true);
    assert.deepEqual(
      (await fx.signLog()).map((e) => e.action),
      ['account_created', 'otp_disabled', 'otp_enabled', 'otp_disabled'],
    );
  });

  it('matches Bitrix24 users by user id, falling back to a unique unlinked e-mail of the same portal', async () => {
    const linked = await accounts.add({
      login: 'linked',
      bitrix: { memberId: 'p1', userId: 5 },
      email: 'same@example.test',
    });
    assert.equal(linked.memberId, 'p1', 'a linked account belongs to its link’s portal');
    const byMail = await accounts.add({ login: 'bymail', memberId: 'p1', email: 'Mary@Example.test' });
    assert.equal((await accounts.findForBitrixUser({ memberId: 'p1', userId: 5 }))?.id, linked.id);
    // Same user id on another portal is another person.
    assert.equal(await accounts.findForBitrixUser({ memberId: 'p2', userId: 5 }), undefined);
    const found = await accounts.findForBitrixUser({ memberId: 'p1', userId: 9, email: 'mary@example.test' });
    assert.equal(found?.id, byMail.id);
    assert.deepEqual((await accounts.get({ login: 'bymail' })).bitrix, { memberId: 'p1', userId: 9 });
    // Next time the user id alone finds it; the e-mail of an already linked account is not used.
    assert.equal((await accounts.findForBitrixUser({ memberId: 'p1', userId: 9 }))?.id, byMail.id);
    assert.equal(
      await accounts.findForBitrixUser({ memberId: 'p1', userId: 10, email: 'same@example.test' }),
      undefined,
    );
    const update = (await fx.signLog()).find((e) => e.action === 'account_updated');
    assert.equal(update?.details?.by, 'email');
    assert.equal(update?.details?.memberId, 'p1');
  });

  it('attack: a user of portal B with the e-mail of portal A’s unlinked account is not linked to it', async () => {
    const anna = await accounts.add({ login: 'anna', memberId: 'portal-a', email: 'anna@acme.test' });
    const intruder = await accounts.findForBitrixUser({ memberId: 'portal-b', userId: 7, email: 'anna@acme.test' });
    assert.equal(intruder, undefined);
    const after = await accounts.get({ login: 'anna' });
    assert.equal(after.bitrix, undefined, 'still linked to nobody');
    assert.deepEqual(after, anna);
    // Anna herself, on her own portal, is linked as before.
    assert.equal(
      (await accounts.findForBitrixUser({ memberId: 'portal-a', userId: 3, email: 'anna@acme.test' }))?.id,
      anna.id,
    );
  });

  it('attack: an account linked already is never re-linked, from its own portal or another', async () => {
    const boris = await accounts.add({
      login: 'boris',
      email: 'boris@acme.test',
      bitrix: { memberId: 'portal-a', userId: 4 },
    });
    for (const memberId of ['portal-a', 'portal-b']) {
      assert.equal(await accounts.findForBitrixUser({ memberId, userId: 8, email: 'boris@acme.test' }), undefined);
    }
    assert.deepEqual((await accounts.get({ login: 'boris' })).bitrix, boris.bitrix);
    assert.equal((await fx.signLog()).filter((e) => e.action === 'account_updated').length, 0);
  });

  it('never links a service-wide account by e-mail, and refuses a link to another portal’s user', async () => {
    const ops = await accounts.add({ login: 'ops', email: 'ops@acme.test' });
    assert.equal(ops.memberId, undefined);
    assert.equal(
      await accounts.findForBitrixUser({ memberId: 'portal-a', userId: 2, email: 'ops@acme.test' }),
      undefined,
    );
    assert.equal((await accounts.get({ login: 'ops' })).bitrix, undefined);
    await assert.rejects(
      accounts.add({ login: 'mixed', memberId: 'portal-a', bitrix: { memberId: 'portal-b', userId: 2 } }),
      hasCode(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(
      accounts.add({ login: 'odd', memberId: 'not a member id' }),
      hasCode(ErrorCode.INVALID_ARGUMENT),
    );
    assert.deepEqual(
      (await accounts.list({ memberId: 'portal-a' })).map((a) => a.login),
      [],
    );
  });

  it('does not guess between two unlinked accounts of the portal with the same e-mail', async () => {
    await accounts.add({ login: 'twin1', memberId: 'p', email: 'twins@example.test' });
    await accounts.add({ login: 'twin2', memberId: 'p', email: 'twins@example.test' });
    assert.equal(
      await accounts.findForBitrixUser({ memberId: 'p', userId: 1, email: 'twins@example.test' }),
      undefined,
    );
  });

  it('unlock clears the lock and the failures and is logged', async () => {
    const a = await accounts.add({ login: 'mary' });
    await fx.store.accounts.recordOtpFailure(a.id, fx.now(), new Date(0));
    await fx.store.accounts.setLockedUntil(a.id, new Date(fx.now().getTime() + 60_000));
    const after = await accounts.unlock({ login: 'mary', actor: { role: 'cli' } });
    assert.equal(after.lockout.lockedUntil, undefined);
    assert.equal(after.lockout.failures.length, 0);
    const entry = (await fx.signLog()).find((e) => e.action === 'unlocked');
    assert.deepEqual(entry?.details, { account: 'mary', accountId: a.id, wasLocked: true, failuresCleared: 1 });
  });
});
