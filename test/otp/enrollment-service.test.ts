/**
 * Enrollment links against the real embedded store: single use, one hour, stored only as a hash, no secret
 * until the person asks for it (a new one each time), the first code of the key shown last confirms,
 * re-enrollment replaces the secret, a new link retires the old one.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { enrollmentTokenHash } from '../../shared/otp/enrollment-link-token.js';
import { createTotpVerifier } from '../../shared/otp/verify-totp.js';
import { codeAt, createOtpFixture, type OtpFixture } from '../support/otp-fixture.js';
import { decodeQrDataUrl } from '../support/qr-decode.js';

const MINUTE = 60_000;

function hasCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

describe('OTP enrollment service (embedded store)', () => {
  let fx: OtpFixture;
  beforeEach(async () => {
    fx = await createOtpFixture();
  });
  afterEach(() => fx.close());

  it('creates a one-hour link whose token is stored only as its SHA-256', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const link = await fx.enrollment.createLink({ account, actor: { role: 'cli' } });
    assert.match(link.url, /^http:\/\/localhost:8080\/enroll\/[A-Za-z0-9_-]{43}$/);
    assert.equal(link.url.endsWith(link.token), true);
    assert.equal(link.expiresAt.getTime() - fx.now().getTime(), 60 * MINUTE);
    const stored = await fx.store.enrollments.getByTokenHash(enrollmentTokenHash(link.token));
    assert.equal(stored?.accountId, account.id);
    assert.equal(stored?.usedAt, undefined);
    // Neither the SQLite file nor its WAL holds the token itself.
    for (const file of fs.readdirSync(fx.dir)) {
      assert.ok(!fs.readFileSync(path.join(fx.dir, file)).includes(link.token), `${file} holds the token`);
    }
    const entry = (await fx.signLog()).find((e) => e.action === 'link_created');
    assert.equal(entry?.details?.account, 'mary');
    assert.equal(entry?.actor.role, 'cli');
    assert.ok(!JSON.stringify(entry).includes(link.token));
  });

  it('opening the link reveals nothing; each request for the key makes a new one, kept sealed', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const link = await fx.enrollment.createLink({ account });
    const stored = () => fx.store.enrollments.getByTokenHash(enrollmentTokenHash(link.token));
    assert.equal((await stored())?.pendingSecret, undefined, 'a new link holds no secret');
    const opened = await fx.enrollment.open({ token: link.token });
    assert.deepEqual(Object.keys(opened).sort(), ['expiresAt', 'issuer', 'login']);
    assert.equal((await stored())?.pendingSecret, undefined, 'opening (a mail scanner) makes no secret');

    const view = await fx.enrollment.reveal({ token: link.token });
    assert.equal(view.login, 'mary');
    assert.equal(decodeQrDataUrl(view.qrDataUrl), view.otpUri);
    const totp = OTPAuth.URI.parse(view.otpUri) as OTPAuth.TOTP;
    assert.equal(view.manualSecret.replace(/ /g, ''), totp.secret.base32);
    assert.equal(totp.issuer, 'SignService Test');
    const sealed = (await stored())?.pendingSecret;
    assert.ok(sealed && !JSON.stringify(sealed).includes(totp.secret.base32), 'stored sealed');
    // Asking again makes another key; the first one's form no longer confirms.
    const again = await fx.enrollment.reveal({ token: link.token });
    assert.notEqual(again.otpUri, view.otpUri);
    assert.deepEqual((await fx.enrollment.shown({ token: link.token })).otpUri, again.otpUri);
    const stale = await fx.enrollment
      .complete({ token: link.token, formToken: view.formToken, code: codeAt(totp, fx.now()) })
      .catch((e: unknown) => e);
    assert.ok(stale instanceof AppError && stale.code === ErrorCode.INVALID_ARGUMENT);
    assert.equal(stale.details?.reason, 'stale_key');
    assert.equal((await fx.store.accounts.get(account.id))?.otp, undefined);
    const latest = OTPAuth.URI.parse(again.otpUri) as OTPAuth.TOTP;
    await fx.enrollment.complete({ token: link.token, formToken: again.formToken, code: codeAt(latest, fx.now()) });
    assert.ok((await fx.store.accounts.get(account.id))?.otp);
  });

  it('refuses a confirmation before any key was shown', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const link = await fx.enrollment.createLink({ account });
    await assert.rejects(
      fx.enrollment.complete({ token: link.token, formToken: 'x', code: '123456' }),
      hasCode(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(fx.enrollment.shown({ token: link.token }), hasCode(ErrorCode.INVALID_ARGUMENT));
  });

  it('completes with a valid first code, only once', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const link = await fx.enrollment.createLink({ account });
    const view = await fx.enrollment.reveal({ token: link.token });
    const totp = OTPAuth.URI.parse(view.otpUri) as OTPAuth.TOTP;
    await assert.rejects(
      fx.enrollment.complete({ token: link.token, formToken: view.formToken, code: codeAt(totp, fx.now(), 5) }),
      hasCode(ErrorCode.OTP_INVALID),
    );
    // A wrong code leaves the link usable; the code may be typed with a space.
    const code = codeAt(totp, fx.now());
    const done = await fx.enrollment.complete({
      token: link.token,
      formToken: view.formToken,
      code: `${code.slice(0, 3)} ${code.slice(3)}`,
    });
    assert.deepEqual(done, { login: 'mary' });
    const enrolled = await fx.store.accounts.get(account.id);
    assert.ok(enrolled?.otp);
    assert.equal(enrolled.otp.enrolledAt.toISOString(), fx.now().toISOString());
    await assert.rejects(fx.enrollment.open({ token: link.token }), hasCode(ErrorCode.ENROLLMENT_LINK_USED));
    await assert.rejects(fx.enrollment.reveal({ token: link.token }), hasCode(ErrorCode.ENROLLMENT_LINK_USED));
    await assert.rejects(
      fx.enrollment.complete({ token: link.token, formToken: view.formToken, code: codeAt(totp, fx.now(), 1) }),
      hasCode(ErrorCode.ENROLLMENT_LINK_USED),
    );
    const entry = (await fx.signLog()).find((e) => e.action === 'enrolled');
    assert.equal(entry?.actor.login, 'mary');
    assert.equal(entry?.details?.reenrolled, false);
  });

  it('refuses a confirmation whose form token belongs to another link', async () => {
    const mary = await fx.addAccount({ login: 'mary' });
    const john = await fx.addAccount({ login: 'john' });
    const maryLink = await fx.enrollment.createLink({ account: mary });
    const johnView = await fx.enrollment.reveal({ token: (await fx.enrollment.createLink({ account: john })).token });
    const maryTotp = OTPAuth.URI.parse((await fx.enrollment.reveal({ token: maryLink.token })).otpUri) as OTPAuth.TOTP;
    await assert.rejects(
      fx.enrollment.complete({
        token: maryLink.token,
        formToken: johnView.formToken,
        code: codeAt(maryTotp, fx.now()),
      }),
      hasCode(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(
      fx.enrollment.complete({ token: maryLink.token, formToken: '', code: codeAt(maryTotp, fx.now()) }),
      hasCode(ErrorCode.INVALID_ARGUMENT),
    );
    assert.equal((await fx.store.accounts.get(mary.id))?.otp, undefined);
  });

  it('expires after an hour', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const link = await fx.enrollment.createLink({ account });
    fx.advance(59 * MINUTE);
    await fx.enrollment.open({ token: link.token });
    fx.advance(MINUTE);
    await assert.rejects(fx.enrollment.open({ token: link.token }), hasCode(ErrorCode.ENROLLMENT_LINK_EXPIRED));
    await assert.rejects(fx.enrollment.reveal({ token: link.token }), hasCode(ErrorCode.ENROLLMENT_LINK_EXPIRED));
  });

  it('refuses unknown and malformed tokens', async () => {
    await assert.rejects(fx.enrollment.open({ token: 'A'.repeat(43) }), hasCode(ErrorCode.ENROLLMENT_LINK_INVALID));
    await assert.rejects(fx.enrollment.open({ token: '../../etc/passwd' }), hasCode(ErrorCode.ENROLLMENT_LINK_INVALID));
    await assert.rejects(fx.enrollment.open({ token: '' }), hasCode(ErrorCode.ENROLLMENT_LINK_INVALID));
  });

  it('a new link retires the older one, which then reads "replaced", not "expired"', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const first = await fx.enrollment.createLink({ account });
    fx.advance(MINUTE);
    const second = await fx.enrollment.createLink({ account });
    await assert.rejects(fx.enrollment.open({ token: first.token }), hasCode(ErrorCode.ENROLLMENT_LINK_REPLACED));
    await assert.rejects(fx.enrollment.reveal({ token: first.token }), hasCode(ErrorCode.ENROLLMENT_LINK_REPLACED));
    await fx.enrollment.open({ token: second.token });
    // The newer link still expires as usual.
    fx.advance(60 * MINUTE);
    await assert.rejects(fx.enrollment.open({ token: second.token }), hasCode(ErrorCode.ENROLLMENT_LINK_EXPIRED));
  });

  it('re-enrollment replaces the old secret: old codes stop working, new ones work', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    const oldTotp = await fx.enroll(account);
    fx.advance(10 * MINUTE);
    const newTotp = await fx.enroll(account);
    assert.notEqual(oldTotp.secret.base32, newTotp.secret.base32);
    fx.advance(MINUTE);
    const verifier = createTotpVerifier({
      store: fx.store,
      masterKey: fx.masterKey,
      settings: { lockoutFailures: 5, lockoutWindowMinutes: 15, lockoutMinutes: 15 },
      now: fx.now,
    });
    await assert.rejects(verifier.verify({ account, code: codeAt(oldTotp, fx.now()) }), hasCode(ErrorCode.OTP_INVALID));
    await verifier.verify({ account, code: codeAt(newTotp, fx.now()) });
    const entries = (await fx.signLog()).filter((e) => e.action === 'enrolled');
    assert.deepEqual(
      entries.map((e) => e.details?.reenrolled),
      [false, true],
    );
  });

  it('creates no link for a disabled account', async () => {
    const account = await fx.addAccount({ login: 'mary' });
    await fx.store.accounts.update({ ...account, status: 'disabled', updatedAt: fx.now() });
    await assert.rejects(
      fx.enrollment.createLink({ account: { ...account, status: 'disabled' } }),
      hasCode(ErrorCode.ACCOUNT_DISABLED),
    );
  });
});
