import assert from 'node:assert/strict';
import pkcs11js from 'pkcs11js';
import { finalizeAllPkcs11Modules, loadPkcs11Module } from '../../../shared/crypto/pkcs11/pkcs11-module.js';
import { openToken } from '../../../shared/crypto/pkcs11/pkcs11-token.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { createSoftHsmToken, type SoftHsmToken } from '../../support/softhsm.js';

const LABEL = 'errors token';
const PIN = '4242';
const WRONG_PIN = '9999';

function isAppError(code: ErrorCode, ...mustMention: string[]) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected AppError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const text of mustMention) assert.ok(error.message.includes(text), `"${error.message}" lacks "${text}"`);
    return true;
  };
}

describe('Pkcs11Token errors', () => {
  let softHsm: SoftHsmToken;

  before(async () => {
    softHsm = await createSoftHsmToken({
      label: LABEL,
      pin: PIN,
      identities: [{ id: '01', keyType: 'ecP256', cn: 'Error cases' }],
    });
  });

  after(async () => {
    finalizeAllPkcs11Modules();
    await softHsm?.cleanup();
  });

  // Runs first: once a correct login exists in this process, C_Login answers CKR_USER_ALREADY_LOGGED_IN
  // whatever the PIN (login state is per application, PKCS#11 v2.40 C_Login).
  it('wrong PIN: TOKEN_PIN_INCORRECT after exactly one C_Login, and never another on that token object', async () => {
    const config = { modulePath: softHsm.modulePath, token: { label: LABEL }, pin: WRONG_PIN };
    const token = await openToken(config);
    const p11 = loadPkcs11Module(softHsm.modulePath).p11;
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === LABEL)!;
    const countLow = () => (p11.C_GetTokenInfo(slot).flags & pkcs11js.CKF_USER_PIN_COUNT_LOW) !== 0;
    assert.equal(countLow(), false, 'fresh token already reports a failed login');
    assert.equal(token.health().pinLow, false);

    const original = p11.C_Login;
    let logins = 0;
    p11.C_Login = function (session, userType, pin) {
      logins++;
      return original.call(this, session, userType, pin);
    };
    try {
      assert.throws(() => token.login(), isAppError(ErrorCode.TOKEN_PIN_INCORRECT, LABEL, 'not retried'));
      assert.equal(logins, 1);
      // SoftHSM2 sets CKF_USER_PIN_COUNT_LOW after a failed C_Login (it exposes no counter).
      assert.equal(countLow(), true, 'the token does not record the failed login');
      assert.equal(token.health().pinLow, true);
      assert.equal(token.health().loggedIn, false);

      assert.throws(() => token.signingKey('01'), isAppError(ErrorCode.TOKEN_PIN_INCORRECT));
      assert.throws(() => token.listCertificates(), isAppError(ErrorCode.TOKEN_PIN_INCORRECT));
      assert.throws(
        () => token.login(),
        (error) => error instanceof AppError && !error.message.includes(WRONG_PIN),
      );
      assert.equal(logins, 1, 'a rejected PIN was tried again');
      token.close();

      // Reopened with the corrected config, the token logs in and signs; the failure flag clears.
      const fixed = await openToken({ ...config, pin: PIN });
      const key = fixed.signingKey('01');
      assert.equal((await key.sign(Buffer.from('ok'))).at(0), 0x30);
      assert.equal(logins, 2);
      assert.equal(countLow(), false);
      fixed.close();
    } finally {
      p11.C_Login = original;
    }
  });

  it('locked PIN: TOKEN_PIN_LOCKED without any C_Login, and health reports it (lock simulated)', async () => {
    // SoftHSM2 never locks a PIN (12 wrong PINs in a row still answer CKR_PIN_INCORRECT), so the token's
    // CKF_USER_PIN_LOCKED flag is added to its real C_GetTokenInfo answer here.
    const p11 = loadPkcs11Module(softHsm.modulePath).p11;
    const originalInfo = p11.C_GetTokenInfo;
    const originalLogin = p11.C_Login;
    let logins = 0;
    p11.C_GetTokenInfo = function (slot) {
      const info = originalInfo.call(this, slot);
      return { ...info, flags: info.flags | pkcs11js.CKF_USER_PIN_LOCKED };
    };
    p11.C_Login = function (session, userType, pin) {
      logins++;
      return originalLogin.call(this, session, userType, pin);
    };
    try {
      const token = await openToken({ modulePath: softHsm.modulePath, token: { label: LABEL }, pin: PIN });
      assert.throws(() => token.signingKey('01'), isAppError(ErrorCode.TOKEN_PIN_LOCKED, LABEL, 'unblock'));
      assert.throws(() => token.login(), isAppError(ErrorCode.TOKEN_PIN_LOCKED));
      assert.equal(logins, 0, 'a locked token must not be sent a PIN');
      assert.equal(token.health().pinLocked, true);
      token.close();
    } finally {
      p11.C_GetTokenInfo = originalInfo;
      p11.C_Login = originalLogin;
    }
  });

  it('missing module: TOKEN_MODULE naming the path', async () => {
    const modulePath = '/usr/lib/no-such-vendor/libeToken.so';
    await assert.rejects(
      openToken({ modulePath, token: { label: LABEL }, pin: PIN }),
      isAppError(ErrorCode.TOKEN_MODULE, modulePath),
    );
    // A file that exists but is not a PKCS#11 module.
    await assert.rejects(
      openToken({ modulePath: '/etc/hostname', token: { label: LABEL }, pin: PIN }),
      isAppError(ErrorCode.TOKEN_MODULE, '/etc/hostname'),
    );
  });

  it('absent token: TOKEN_ABSENT naming the wanted label and the labels present', async () => {
    await assert.rejects(
      openToken({ modulePath: softHsm.modulePath, token: { label: 'eToken of Mary' }, pin: PIN }),
      isAppError(ErrorCode.TOKEN_ABSENT, 'eToken of Mary', `"${LABEL}"`),
    );
    await assert.rejects(
      openToken({ modulePath: softHsm.modulePath, token: { label: LABEL, serial: '0000000000000000' }, pin: PIN }),
      isAppError(ErrorCode.TOKEN_ABSENT, '0000000000000000'),
    );
  });

  it('finds the token by serial alone, and by label with 32-character padding trimmed', async () => {
    const byLabel = await openToken({ modulePath: softHsm.modulePath, token: { label: `${LABEL}   ` }, pin: PIN });
    const serial = byLabel.health().serial;
    byLabel.close();
    const bySerial = await openToken({ modulePath: softHsm.modulePath, token: { serial }, pin: PIN });
    assert.equal(bySerial.health().label, LABEL);
    assert.equal(bySerial.listCertificates().length, 1);
    bySerial.close();
  });

  it('rejects a config without label or serial, and a bad pool size, with INVALID_ARGUMENT', async () => {
    await assert.rejects(
      openToken({ modulePath: softHsm.modulePath, token: {}, pin: PIN }),
      isAppError(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(
      openToken({ modulePath: softHsm.modulePath, token: { label: LABEL }, pin: PIN }, { sessionPoolSize: 0 }),
      isAppError(ErrorCode.INVALID_ARGUMENT),
    );
  });

  it('adopts a library that someone else in the process initialised (CKR_CRYPTOKI_ALREADY_INITIALIZED)', async () => {
    finalizeAllPkcs11Modules();
    const other = new pkcs11js.PKCS11();
    other.load(softHsm.modulePath);
    other.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      const module = loadPkcs11Module(softHsm.modulePath);
      assert.equal(module.initializedByUs, false);
      const token = await openToken({ modulePath: softHsm.modulePath, token: { label: LABEL }, pin: PIN });
      const signature = await token.signingKey('01').sign(Buffer.from('adopted'));
      assert.equal(signature[0], 0x30);
      token.close();
      module.finalize(); // leaves C_Finalize to the one who initialised
      assert.equal(other.C_GetSlotList(true).length > 0, true, 'our finalize() finalised the other user');
    } finally {
      other.C_Finalize();
      other.close();
    }
  });
});
