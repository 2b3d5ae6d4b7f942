/**
 * TOTP verification against the real embedded store with a fake clock: the ±1 step window, replay
 * refusal (RFC 6238 §5.2), lockout after 5 failures in 15 minutes, unlock, and OTP-disabled accounts.
 */
import assert from 'node:assert/strict';
import type * as OTPAuth from 'otpauth';
import { createAccountService } from '../../shared/accounts/account-service.js';
import { verifySignLogChain } from '../../shared/audit/sign-log-chain.js';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import type { Account } from '../../shared/domain/account.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { createMailer } from '../../shared/mail/mailer.js';
import { loadTemplates } from '../../shared/mail/render-template.js';
import { lockoutNotifier } from '../../shared/mail/send-lockout-mail.js';
import { createOtpAuthorizer, signatureLogInput } from '../../shared/otp/otp-authorizer.js';
import { totpStep } from '../../shared/otp/totp-code.js';
import { createTotpVerifier, type TotpVerifier } from '../../shared/otp/verify-totp.js';
import { codeAt, createOtpFixture, type OtpFixture } from '../support/otp-fixture.js';
import { startSmtpSink } from '../support/smtp-sink.js';

const MINUTE = 60_000;
const SETTINGS = { lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 };

function hasCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

describe('TOTP verification (embedded store)', () => {
  let fx: OtpFixture;
  let verifier: TotpVerifier;
  let locked: { login: string; until: Date }[];
  let n = 0;

  /** A new enrolled account; the clock then moves 5 minutes on, past the enrollment step. */
  async function enrolled(): Promise<{ account: Account; totp: OTPAuth.TOTP }> {
    const account = await fx.addAccount({ login: `user${++n}`, email: `user${n}@example.test` });
    const totp = await fx.enroll(account);
    fx.advance(5 * MINUTE);
    return { account, totp };
  }

  beforeEach(async () => {
    fx = await createOtpFixture();
    locked = [];
    verifier = createTotpVerifier({
      store: fx.store,
      masterKey: fx.masterKey,
      settings: SETTINGS,
      now: fx.now,
      onLocked: async (account, until) => {
        locked.push({ login: account.login, until });
      },
    });
  });
  afterEach(() => fx.close());

  it('accepts the current code and codes one step early or late', async () => {
    const { account, totp } = await enrolled();
    const at = fx.now();
    // Ascending steps, so none of them is a replay of an earlier one.
    assert.deepEqual(await verifier.verify({ account, code: codeAt(totp, at, -1) }), { step: totpStep(at) - 1 });
    assert.deepEqual(await verifier.verify({ account, code: codeAt(totp, at, 0) }), { step: totpStep(at) });
    assert.deepEqual(await verifier.verify({ account, code: codeAt(totp, at, +1) }), { step: totpStep(at) + 1 });
  });

  it('rejects codes two steps early or late', async () => {
    const { account, totp } = await enrolled();
    const at = fx.now();
    await assert.rejects(verifier.verify({ account, code: codeAt(totp, at, -2) }), hasCode(ErrorCode.OTP_INVALID));
    await assert.rejects(verifier.verify({ account, code: codeAt(totp, at, +2) }), hasCode(ErrorCode.OTP_INVALID));
    // Both count as failures.
    assert.equal((await fx.store.accounts.get(account.id))?.lockout.failures.length, 2);
  });

  it('accepts a code once (OTP_REPLAYED the second time, and for older steps), without counting a failure', async () => {
    const { account, totp } = await enrolled();
    const at = fx.now();
    const code = codeAt(totp, at);
    await verifier.verify({ account, code });
    await assert.rejects(verifier.verify({ account, code }), hasCode(ErrorCode.OTP_REPLAYED));
    // The previous step's code is still inside the window, but older than the used one.
    await assert.rejects(verifier.verify({ account, code: codeAt(totp, at, -1) }), hasCode(ErrorCode.OTP_REPLAYED));
    // The next step's code works again.
    fx.advance(30_000);
    await verifier.verify({ account, code: codeAt(totp, fx.now()) });
    assert.equal((await fx.store.accounts.get(account.id))?.lockout.failures.length, 0);
    // Two replays within a minute: one entry; the second waits, counted, for the account's next entry.
    const replays = (await fx.signLog()).filter((e) => e.action === 'otp_failed');
    assert.deepEqual(
      replays.map((e) => [e.details?.reason, e.details?.attempts]),
      [['replayed', 1]],
    );
    assert.equal(await fx.store.accounts.takeOtpFailureTally(account.id, fx.now(), { add: 0, minGapMs: 0 }), 1);
  });

  it('the code that confirmed the enrollment cannot be used to sign', async () => {
    const account = await fx.addAccount({ login: 'fresh' });
    const totp = await fx.enroll(account);
    await assert.rejects(verifier.verify({ account, code: codeAt(totp, fx.now()) }), hasCode(ErrorCode.OTP_REPLAYED));
  });

  it('locks after 5 failures in 15 minutes: the 6th attempt, even with the right code, gets OTP_LOCKED with the time', async () => {
    const { account, totp } = await enrolled();
    // A code far outside the window, computed afresh as the clock moves.
    const wrong = () => codeAt(totp, fx.now(), 40);
    for (let i = 1; i <= 4; i++) {
      await assert.rejects(verifier.verify({ account, code: wrong() }), (e: unknown) => {
        hasCode(ErrorCode.OTP_INVALID)(e);
        assert.equal((e as AppError).details?.attemptsLeft, 5 - i);
        return true;
      });
      fx.advance(MINUTE);
    }
    const lockedAt = fx.now();
    const until = new Date(lockedAt.getTime() + 15 * MINUTE);
    // The 5th failure locks at once.
    await assert.rejects(verifier.verify({ account, code: wrong() }), hasCode(ErrorCode.OTP_LOCKED));
    fx.advance(MINUTE);
    await assert.rejects(verifier.verify({ account, code: codeAt(totp, fx.now()) }), (e: unknown) => {
      hasCode(ErrorCode.OTP_LOCKED)(e);
      assert.equal((e as AppError).details?.lockedUntil, until.toISOString());
      assert.match((e as AppError).message, new RegExp(until.toISOString().replace(/\./g, '\\.')));
      return true;
    });
    assert.deepEqual(locked, [{ login: account.login, until }]);
    assert.equal((await fx.store.accounts.get(account.id))?.lockout.lockedUntil?.toISOString(), until.toISOString());

    const log = await fx.signLog();
    const failures = log.filter((e) => e.action === 'otp_failed');
    // A minute apart, each failure gets its entry; the fifth is told by the lockout entry.
    assert.equal(failures.length, 5, 'four wrong codes and one attempt while locked');
    assert.deepEqual(failures.at(-1)?.details?.reason, 'locked');
    const lockEntry = log.find((e) => e.action === 'locked');
    assert.equal(lockEntry?.details?.lockedUntil, until.toISOString());
    assert.equal(lockEntry?.details?.attempts, 1);
    assert.equal(lockEntry?.actor.login, account.login);

    // After the lock ends the right code works again, and the old failures are forgotten.
    fx.set(new Date(until.getTime() + 1000));
    await verifier.verify({ account, code: codeAt(totp, fx.now()) });
    const after = await fx.store.accounts.get(account.id);
    assert.equal(after?.lockout.lockedUntil, undefined);
    assert.equal(after?.lockout.failures.length, 0);
  });

  it('attack: 50 wrong codes in a minute write two entries, and every attempt is counted', async () => {
    const { account, totp } = await enrolled();
    const wrong = codeAt(totp, fx.now(), 40);
    for (let i = 0; i < 50; i++) {
      await assert.rejects(
        verifier.verify({ account, code: wrong }),
        (e: unknown) => (e as AppError).code === ErrorCode.OTP_INVALID || (e as AppError).code === ErrorCode.OTP_LOCKED,
      );
    }
    const entries = () => fx.signLog().then((l) => l.filter((e) => e.action === 'otp_failed' || e.action === 'locked'));
    const written = await entries();
    assert.deepEqual(
      written.map((e) => [e.action, e.details?.attempts]),
      [
        ['otp_failed', 1],
        ['locked', 4],
      ],
      'the first failure, then the lockout entry with the four up to it',
    );
    // The 45 attempts while locked wait, counted; a minute later the next attempt's entry carries them all.
    fx.advance(61_000);
    await assert.rejects(verifier.verify({ account, code: wrong }), hasCode(ErrorCode.OTP_LOCKED));
    const all = await entries();
    assert.equal(all.length, 3);
    assert.deepEqual([all[2]?.details?.reason, all[2]?.details?.attempts], ['locked', 46]);
    const total = all.reduce((sum, e) => sum + Number(e.details?.attempts ?? 0), 0);
    assert.equal(total, 51, 'every attempt is counted exactly once');
  });

  it('a right code after failures writes the failures still untold', async () => {
    const { account, totp } = await enrolled();
    for (let i = 0; i < 3; i++) await assert.rejects(verifier.verify({ account, code: codeAt(totp, fx.now(), 40) }));
    await verifier.verify({ account, code: codeAt(totp, fx.now()) });
    const told = (await fx.signLog()).filter((e) => e.action === 'otp_failed');
    assert.deepEqual(
      told.map((e) => [e.details?.reason, e.details?.attempts]),
      [
        ['wrong_code', 1],
        ['before_success', 2],
      ],
    );
  });

  it('forgets failures older than the window: 4 + 4 wrong codes 16 minutes apart do not lock', async () => {
    const { account, totp } = await enrolled();
    const wrong = () => codeAt(totp, fx.now(), 40);
    for (let i = 0; i < 4; i++)
      await assert.rejects(verifier.verify({ account, code: wrong() }), hasCode(ErrorCode.OTP_INVALID));
    fx.advance(16 * MINUTE);
    for (let i = 0; i < 4; i++)
      await assert.rejects(verifier.verify({ account, code: wrong() }), hasCode(ErrorCode.OTP_INVALID));
    await verifier.verify({ account, code: codeAt(totp, fx.now()) });
  });

  it('a malformed code counts as a failure; the lockout settings are configurable', async () => {
    const { account } = await enrolled();
    const strict = createTotpVerifier({
      store: fx.store,
      masterKey: fx.masterKey,
      settings: { lockoutFailures: 2, lockoutWindowMinutes: 5, lockoutMinutes: 60 },
      now: fx.now,
    });
    await assert.rejects(strict.verify({ account, code: '12a456' }), hasCode(ErrorCode.OTP_INVALID));
    await assert.rejects(strict.verify({ account, code: '1234567' }), (e: unknown) => {
      hasCode(ErrorCode.OTP_LOCKED)(e);
      assert.equal((e as AppError).details?.lockedUntil, new Date(fx.now().getTime() + 60 * MINUTE).toISOString());
      return true;
    });
  });

  it('the administrator can unlock, and the unlock is logged', async () => {
    const { account, totp } = await enrolled();
    for (let i = 0; i < 5; i++) await assert.rejects(verifier.verify({ account, code: codeAt(totp, fx.now(), 40) }));
    await assert.rejects(verifier.verify({ account, code: codeAt(totp, fx.now()) }), hasCode(ErrorCode.OTP_LOCKED));
    const accounts = createAccountService({ store: fx.store, now: fx.now });
    await accounts.unlock({ login: account.login, actor: { role: 'cli' } });
    fx.advance(30_000);
    await verifier.verify({ account, code: codeAt(totp, fx.now()) });
    const unlocked = (await fx.signLog()).find((e) => e.action === 'unlocked');
    assert.equal(unlocked?.actor.role, 'cli');
    assert.equal(unlocked?.details?.account, account.login);
    assert.equal(unlocked?.details?.wasLocked, true);
    assert.equal(unlocked?.details?.failuresCleared, 5);
    assert.deepEqual(verifySignLogChain(await fx.signLog()).ok, true);
  });

  it('e-mails the lockout notice through the onLocked hook', async () => {
    const sink = await startSmtpSink();
    const mailer = createMailer({ kind: 'smtp', url: sink.url, from: 'SignService <s@example.test>' });
    try {
      const notifying = createTotpVerifier({
        store: fx.store,
        masterKey: fx.masterKey,
        settings: SETTINGS,
        now: fx.now,
        onLocked: lockoutNotifier({ mailer, renderer: loadTemplates(), language: 'ru', timeZone: 'UTC' }),
      });
      const { account, totp } = await enrolled();
      for (let i = 0; i < 5; i++) await assert.rejects(notifying.verify({ account, code: codeAt(totp, fx.now(), 40) }));
      const [mail] = await sink.waitFor(1);
      assert.equal(mail?.subject, `Учётная запись ${account.login} заблокирована после неверных кодов`);
      assert.match(mail?.text ?? '', /заблокирована до 15 января 2030 г\., 10:20 \(UTC\)/);
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it('refuses accounts without an authenticator, disabled accounts, and a foreign master key', async () => {
    const bare = await fx.addAccount({ login: 'bare' });
    await assert.rejects(verifier.verify({ account: bare, code: '123456' }), hasCode(ErrorCode.OTP_NOT_ENROLLED));
    const { account, totp } = await enrolled();
    const other = createTotpVerifier({
      store: fx.store,
      masterKey: MasterKey.fromBytes(generateMasterKeyBytes()),
      settings: SETTINGS,
      now: fx.now,
    });
    await assert.rejects(
      other.verify({ account, code: codeAt(totp, fx.now()) }),
      hasCode(ErrorCode.MASTER_KEY_INVALID),
    );
    await fx.store.accounts.update({ ...account, status: 'disabled', updatedAt: fx.now() });
    await assert.rejects(
      verifier.verify({ account, code: codeAt(totp, fx.now()) }),
      hasCode(ErrorCode.ACCOUNT_DISABLED),
    );
  });
});

describe('authorizeSignature', () => {
  let fx: OtpFixture;
  beforeEach(async () => {
    fx = await createOtpFixture();
  });
  afterEach(() => fx.close());

  function authorizer() {
    const verifier = createTotpVerifier({ store: fx.store, masterKey: fx.masterKey, settings: SETTINGS, now: fx.now });
    return createOtpAuthorizer({ store: fx.store, verifier });
  }

  it("OTP-disabled accounts sign without a code; the pipeline's entry is 'signed_without_otp'", async () => {
    const account = await fx.addAccount({ login: 'nocode', otpDisabled: true });
    const authorization = await authorizer().authorizeSignature({ account, code: undefined });
    assert.deepEqual(authorization, { otp: 'disabled' });
    const entry = await fx.store.signLog.append(
      signatureLogInput({
        time: fx.now(),
        account,
        authorization,
        document: { dealId: '42', fileName: 'contract.pdf' },
        certificate: { id: 'c0ffee', subject: 'CN=Mary', serialNumber: '01' },
        requestId: 'req-1',
      }),
    );
    assert.equal(entry.action, 'signed_without_otp');
    assert.equal(entry.otp, 'disabled');
    assert.equal(entry.actor.login, 'nocode');
    const stored = (await fx.signLog()).find((e) => e.requestId === 'req-1');
    assert.equal(stored?.action, 'signed_without_otp');
  });

  it("accounts with OTP need a valid code and log 'signed' with otp 'used'", async () => {
    const account = await fx.addAccount({ login: 'withcode' });
    const totp = await fx.enroll(account);
    fx.advance(MINUTE);
    await assert.rejects(authorizer().authorizeSignature({ account, code: undefined }), hasCode(ErrorCode.OTP_INVALID));
    assert.equal((await fx.store.accounts.get(account.id))?.lockout.failures.length, 0, 'a missing code is no attempt');
    await assert.rejects(
      authorizer().authorizeSignature({ account, code: codeAt(totp, fx.now(), 40) }),
      hasCode(ErrorCode.OTP_INVALID),
    );
    const authorization = await authorizer().authorizeSignature({ account, code: codeAt(totp, fx.now()) });
    assert.deepEqual(authorization, { otp: 'used' });
    const input = signatureLogInput({ time: fx.now(), account, authorization });
    assert.equal(input.action, 'signed');
    assert.equal(input.otp, 'used');
  });

  it("reads the switch from the store, not from the caller's copy", async () => {
    const account = await fx.addAccount({ login: 'flip', otpDisabled: true });
    await createAccountService({ store: fx.store, now: fx.now }).setOtpDisabled({ login: 'flip', disabled: false });
    await assert.rejects(
      authorizer().authorizeSignature({ account, code: '123456' }),
      hasCode(ErrorCode.OTP_NOT_ENROLLED),
    );
  });
});
