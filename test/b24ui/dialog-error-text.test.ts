/**
 * The sentences a signer reads for a refused code (activity/b24/dialog-error-text.ts): a wrong code names the
 * button the page has, by its label; an empty code asks for the code instead of calling it wrong (the
 * authorizer marks it `details.reason` 'missing', and refuses it before any attempt is counted); the lock's end
 * is in the signer's zone.
 */
import assert from 'node:assert/strict';
import { dialogErrorText } from '../../activity/b24/dialog-error-text.js';
import type { Account } from '../../shared/domain/account.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { messagesFor } from '../../shared/i18n/messages.js';
import { createOtpAuthorizer } from '../../shared/otp/otp-authorizer.js';
import type { TotpVerifier } from '../../shared/otp/verify-totp.js';
import type { Store } from '../../shared/store/store-ports.js';

describe('dialog error texts', () => {
  const wrong = new AppError(ErrorCode.OTP_INVALID, 'Wrong one-time code', { details: { attemptsLeft: 4 } });

  it('names the button by the label the page shows', () => {
    const approve = messagesFor('ru').approval.approve;
    assert.equal(
      dialogErrorText('ru', wrong, 'UTC', approve),
      'Неверный код. Введите код, который приложение показывает сейчас, и снова нажмите «Согласовать и подписать».',
    );
    assert.match(dialogErrorText('ru', wrong, 'UTC'), /нажмите «Подписать»\.$/, 'the Sign dialog’s button');
    assert.match(dialogErrorText('en', wrong, 'UTC', messagesFor('en').approval.reject), /press “Reject” again\.$/);
  });

  it('asks for the code when none was typed, instead of calling it wrong', async () => {
    const account = { id: 'a1', login: 'petr', status: 'active', otpDisabled: false } as Account;
    let verified = 0;
    const authorizer = createOtpAuthorizer({
      store: { accounts: { get: async () => account } } as unknown as Store,
      verifier: {
        verify: async () => {
          verified++;
        },
      } as unknown as TotpVerifier,
    });
    for (const code of [undefined, '', '   ']) {
      const error = await authorizer.authorizeSignature({ account, code }).then(
        () => assert.fail('an empty code was accepted'),
        (e: unknown) => e as AppError,
      );
      assert.equal(error.code, ErrorCode.OTP_INVALID);
      const ru = dialogErrorText('ru', error, 'UTC', messagesFor('ru').approval.approve);
      assert.match(ru, /^Введите код/);
      assert.doesNotMatch(ru, /Неверный/);
      assert.match(dialogErrorText('en', error, 'UTC'), /^Enter the code: .*press “Sign”\.$/);
    }
    assert.equal(verified, 0, 'no attempt was counted');
  });

  it('gives the end of a lockout in the signer’s zone', () => {
    const locked = new AppError(ErrorCode.OTP_LOCKED, 'locked', {
      details: { lockedUntil: '2026-12-06T14:33:00.000Z' },
    });
    assert.match(
      dialogErrorText('ru', locked, 'Asia/Vladivostok'),
      /до 7 декабря 2026 г\., 00:33 \(Владивосток, UTC\+10\)\./,
    );
    assert.match(
      dialogErrorText('en', locked, 'Europe/Moscow'),
      /until 6 December 2026, 17:33 \(Moscow Time, UTC\+3\)\./,
    );
  });
});
