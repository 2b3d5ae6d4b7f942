import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describeCertificate } from '../../../shared/crypto/certificate-info.js';
import { createRoot } from '../../../shared/crypto/internal-ca/create-root.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { certificateText, makeCaFixture, openssl, writeCertPem } from './ca-fixture.js';

describe('createRoot', () => {
  let fixture: ReturnType<typeof makeCaFixture>;
  beforeEach(() => {
    fixture = makeCaFixture();
  });
  afterEach(() => fixture.cleanup());

  it('creates a self-signed RSA 3072 root: CA:TRUE critical, keyCertSign + cRLSign, 10 years', async () => {
    const root = await createRoot({
      store: fixture.store,
      masterKey: fixture.masterKey,
      subject: { commonName: 'ООО Ромашка Internal CA', organization: 'ООО Ромашка', country: 'ru' },
    });
    const info = describeCertificate(root.certificate);
    assert.equal(info.publicKeyDescription, 'RSA 3072');
    assert.equal(info.subject, info.issuer);
    assert.equal(info.subjectCommonName, 'ООО Ромашка Internal CA');
    assert.ok(info.isCA);
    assert.deepEqual(info.keyUsage, ['keyCertSign', 'cRLSign']);
    const years = (info.notAfter.getTime() - info.notBefore.getTime()) / (365.25 * 86_400_000);
    assert.ok(years > 9.99 && years < 10.01, `validity ${years} years`);
    const text = await certificateText(fixture.dir, 'root', root.certificate);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /C=RU/);
    const pem = writeCertPem(fixture.dir, 'root', root.certificate);
    assert.match(await openssl(['verify', '-CAfile', pem, pem]), /: OK/);
    assert.equal(root.publicBaseUrl, 'http://localhost:8080');
  });

  it('creates an EC P-256 root signed with ecdsa-with-SHA256 and seals its key (0600 files)', async () => {
    const root = await createRoot({
      store: fixture.store,
      masterKey: fixture.masterKey,
      keyType: 'ec-p256',
      validityYears: 3,
      publicBaseUrl: 'https://sign.example.com/',
      subject: { commonName: 'Acme CA' },
    });
    assert.equal(describeCertificate(root.certificate).publicKeyDescription, 'EC P-256');
    assert.match(await certificateText(fixture.dir, 'root', root.certificate), /ecdsa-with-SHA256/);
    assert.equal(root.publicBaseUrl, 'https://sign.example.com');
    assert.equal(root.key.keyId, fixture.masterKey.keyId);
    const file = path.join(fixture.dir, 'ca', 'root.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(stored.key).sort(), ['ciphertext', 'iv', 'keyId', 'tag']);
    const ciphertext = Buffer.from(stored.key.ciphertext, 'base64');
    assert.throws(
      () => createPrivateKey({ key: ciphertext, format: 'der', type: 'pkcs8' }),
      'the key is not stored in clear',
    );
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(fixture.dir, 'ca')).mode & 0o777, 0o700);
    assert.deepEqual((await fixture.store.loadRoot())?.certificate, root.certificate);
  });

  it('refuses a second root (CA_ALREADY_INITIALIZED) and bad arguments (INVALID_ARGUMENT)', async () => {
    const base = { store: fixture.store, masterKey: fixture.masterKey, keyType: 'ec-p256' as const };
    const code = (c: ErrorCode) => (e: unknown) => e instanceof AppError && e.code === c;
    await assert.rejects(createRoot({ ...base, subject: { commonName: ' ' } }), code(ErrorCode.INVALID_ARGUMENT));
    await assert.rejects(
      createRoot({ ...base, subject: { commonName: 'X', country: 'RUS' } }),
      code(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(
      createRoot({ ...base, subject: { commonName: 'X' }, validityYears: 0 }),
      code(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(
      createRoot({ ...base, subject: { commonName: 'X' }, publicBaseUrl: 'ftp://x' }),
      code(ErrorCode.INVALID_ARGUMENT),
    );
    await createRoot({ ...base, subject: { commonName: 'First' } });
    await assert.rejects(
      createRoot({ ...base, subject: { commonName: 'Second' } }),
      code(ErrorCode.CA_ALREADY_INITIALIZED),
    );
    assert.equal(describeCertificate((await fixture.store.loadRoot())!.certificate).subjectCommonName, 'First');
  });
});
