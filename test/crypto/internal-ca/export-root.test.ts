import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createRoot } from '../../../shared/crypto/internal-ca/create-root.js';
import { exportRoot } from '../../../shared/crypto/internal-ca/export-root.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { makeCaFixture } from './ca-fixture.js';

describe('exportRoot', () => {
  let fixture: ReturnType<typeof makeCaFixture>;
  before(() => {
    fixture = makeCaFixture();
  });
  after(() => fixture.cleanup());

  it('fails with CA_NOT_INITIALIZED before `ca init`', async () => {
    await assert.rejects(
      exportRoot(fixture.store),
      (e: unknown) => e instanceof AppError && e.code === ErrorCode.CA_NOT_INITIALIZED,
    );
  });

  it('gives the root as PEM and DER with install instructions in English and Russian', async () => {
    const root = await createRoot({
      store: fixture.store,
      masterKey: fixture.masterKey,
      keyType: 'ec-p256',
      subject: { commonName: 'Acme CA' },
    });
    const exported = await exportRoot(fixture.store);
    assert.deepEqual(exported.der, root.certificate);
    assert.deepEqual(new X509Certificate(exported.pem).raw, root.certificate);
    assert.match(
      exported.pem,
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
    );
    assert.equal(exported.fingerprint, new X509Certificate(root.certificate).fingerprint256);
    const text = exported.instructions;
    assert.ok(text.includes(exported.fingerprint));
    for (const needle of [
      'certutil -addstore -f Root root.der',
      'security add-trusted-cert -d -r trustRoot',
      '/usr/local/share/ca-certificates/',
      'update-ca-certificates',
      'certutil -d sql:$HOME/.pki/nssdb -A -t "CT,C,C"',
      'Identities & Trusted Certificates',
      'Use this certificate as a trusted root',
      'Доверенные корневые центры сертификации',
      'Всегда доверять',
      'Идентификация и доверенные сертификаты',
    ]) {
      assert.ok(text.includes(needle), `INSTALL-ROOT.txt lacks: ${needle}`);
    }
  });
});
