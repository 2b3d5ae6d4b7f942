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

  it('matches Bitrix24 users by user id, falling back to a unique unlinked e-mail, which then links', async () => {
    const linked = await accounts.add({
      login: 'linked',
      bitrix: { memberId: 'p1', userId: 5 },
      email: 'same@example.test',
    });
    const byMail = await accounts.add({ login: 'bymail', email: 'Mary@Example.test' });
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
  });

  it('does not guess between two unlinked accounts with the same e-mail', async () => {
    await accounts.add({ login: 'twin1', email: 'twins@example.test' });
    await accounts.add({ login: 'twin2', email: 'twins@example.test' });
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
