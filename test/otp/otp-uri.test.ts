/** The provisioning URI (FreeOTP / Key URI format) and its QR code, decoded back with jsQR. */
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { generateMasterKeyBytes, MasterKey } from '../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { renderOtpQrDataUrl } from '../../shared/otp/otp-qr.js';
import { buildOtpUri, formatSecretForManualEntry, toBase32 } from '../../shared/otp/otp-uri.js';
import { matchTotpCode, totpCodeAt, totpStep } from '../../shared/otp/totp-code.js';
import { generateTotpSecret, openTotpSecret, sealTotpSecret, TOTP_SECRET_BYTES } from '../../shared/otp/totp-secret.js';
import { decodeQrDataUrl } from '../support/qr-decode.js';

describe('OTP secret, URI and QR code', () => {
  it('makes 160-bit secrets, different each time', () => {
    const a = generateTotpSecret();
    assert.equal(a.length * 8, 160);
    assert.equal(TOTP_SECRET_BYTES, 20);
    assert.notDeepEqual(a, generateTotpSecret());
  });

  it('builds the FreeOTP URI: issuer in label and parameter, base32 without padding, SHA1/6/30', () => {
    const secret = Buffer.from('0123456789abcdef0123', 'latin1');
    const uri = buildOtpUri({ secret, issuer: 'ACME Corp', accountName: 'mary.smith' });
    assert.equal(
      uri,
      `otpauth://totp/ACME%20Corp:mary.smith?secret=${toBase32(secret)}&issuer=ACME%20Corp&algorithm=SHA1&digits=6&period=30`,
    );
    assert.match(toBase32(secret), /^[A-Z2-7]{32}$/);
    const parsed = OTPAuth.URI.parse(uri);
    assert.ok(parsed instanceof OTPAuth.TOTP);
    assert.equal(parsed.issuer, 'ACME Corp');
    assert.equal(parsed.label, 'mary.smith');
    assert.equal(parsed.algorithm, 'SHA1');
    assert.equal(parsed.digits, 6);
    assert.equal(parsed.period, 30);
    assert.deepEqual(Buffer.from(parsed.secret.bytes), secret);
  });

  it('keeps colons out of the label parts, and adds lock=true on request', () => {
    const uri = buildOtpUri({ secret: generateTotpSecret(), issuer: 'A:B', accountName: 'x:y', lock: true });
    assert.match(uri, /^otpauth:\/\/totp\/A%20B:x%20y\?/);
    assert.match(uri, /&lock=true$/);
  });

  it('formats the key for typing in by hand', () => {
    const secret = generateTotpSecret();
    const shown = formatSecretForManualEntry(secret);
    assert.match(shown, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    assert.equal(shown.replace(/ /g, ''), toBase32(secret));
  });

  it('renders a QR code that decodes to the URI, and codes from it verify', async () => {
    const secret = generateTotpSecret();
    const uri = buildOtpUri({ secret, issuer: 'SignService', accountName: 'Мария' });
    const decoded = decodeQrDataUrl(await renderOtpQrDataUrl(uri));
    assert.equal(decoded, uri);
    const at = new Date('2030-01-01T00:00:10Z');
    const code = (OTPAuth.URI.parse(decoded) as OTPAuth.TOTP).generate({ timestamp: at.getTime() });
    assert.deepEqual(matchTotpCode({ secret, code, at }), [totpStep(at)]);
    assert.equal(totpCodeAt(secret, totpStep(at)), code);
  });

  it('agrees with the RFC 6238 Appendix B test vectors (SHA1, truncated to 6 digits)', () => {
    const secret = Buffer.from('12345678901234567890', 'ascii');
    // RFC 6238 Appendix B lists 8-digit values; an authenticator shows the last 6 digits.
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
    ];
    for (const [seconds, eight] of vectors) {
      assert.equal(totpCodeAt(secret, Math.floor(seconds / 30)), eight.slice(2));
    }
  });

  it('seals secrets bound to their account: another account id or master key cannot open them', () => {
    const key = MasterKey.fromBytes(generateMasterKeyBytes());
    const secret = generateTotpSecret();
    const sealed = sealTotpSecret(key, 'account-1', secret);
    assert.ok(!JSON.stringify(sealed).includes(toBase32(secret)));
    assert.ok(!JSON.stringify(sealed).includes(secret.toString('hex')));
    assert.deepEqual(openTotpSecret(key, 'account-1', sealed), secret);
    assert.throws(
      () => openTotpSecret(key, 'account-2', sealed),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.MASTER_KEY_INVALID,
    );
    const other = MasterKey.fromBytes(generateMasterKeyBytes());
    assert.throws(
      () => openTotpSecret(other, 'account-1', sealed),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.MASTER_KEY_INVALID,
    );
  });
});
