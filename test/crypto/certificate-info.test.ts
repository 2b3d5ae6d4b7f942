import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { checkValidityAt, describeCertificate } from '../../shared/crypto/certificate-info.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';

describe('describeCertificate', () => {
  let pki: TestPki;
  before(async () => {
    pki = await createTestPki();
  });

  it('works on the test PKI, made once per process', async () => {
    assert.equal(await createTestPki(), pki);
  });

  it('reads names, serial, dates, key and fingerprint as openssl and Node see them', async () => {
    for (const id of Object.values(pki.identities)) {
      const info = describeCertificate(id.certDer);
      const x509 = new X509Certificate(id.certDer);
      const serial = await runTool('openssl', ['x509', '-in', id.certPath, '-noout', '-serial']);
      assert.equal(serial.exitCode, 0, serial.stderr);
      assert.equal(`serial=${info.serialNumber}`, serial.stdout.trim(), id.name);
      assert.equal(info.notBefore.getTime(), new Date(x509.validFrom).getTime(), id.name);
      assert.equal(info.notAfter.getTime(), new Date(x509.validTo).getTime(), id.name);
      assert.equal(info.fingerprintSha256, x509.fingerprint256.replace(/:/g, ''), id.name);
      assert.equal(info.issuer, 'O=SignService Tests,CN=SignService Test Issuing CA');
      assert.deepEqual(info.keyUsage, ['digitalSignature', 'nonRepudiation'], id.name);
      // emailProtection and Microsoft Document Signing, as Adobe Reader wants them.
      assert.deepEqual(info.extendedKeyUsage, ['emailProtection', '1.3.6.1.4.1.311.10.3.12'], id.name);
      assert.equal(info.extendedKeyUsageCritical, false);
      assert.equal(info.isCA, false);
      // The raw issuer Name is the issuing CA's subject Name, byte for byte.
      assert.ok(info.issuerNameDer.equals(describeCertificate(pki.intermediateCertDer).subjectNameDer), id.name);
      assert.ok(info.subjectPublicKeyInfo.equals(x509.publicKey.export({ type: 'spki', format: 'der' })), id.name);
    }
  });

  it('reports the subject CN, O and e-mail, and the key algorithm', () => {
    const mary = describeCertificate(pki.identities.rsa2048.certDer);
    assert.equal(mary.subject, 'E=mary.smith@example.com,O=Test Company,CN=Mary Smith');
    assert.equal(mary.subjectCommonName, 'Mary Smith');
    assert.equal(mary.subjectOrganization, 'Test Company');
    assert.equal(mary.subjectEmail, 'mary.smith@example.com');
    assert.deepEqual(mary.keyAlgorithm, { kind: 'rsa', bits: 2048 });
    assert.equal(mary.publicKeyDescription, 'RSA 2048');
    assert.deepEqual(describeCertificate(pki.identities.rsa3072.certDer).keyAlgorithm, { kind: 'rsa', bits: 3072 });
    assert.deepEqual(describeCertificate(pki.identities.ecP256.certDer).keyAlgorithm, {
      kind: 'ec',
      curve: 'P-256',
      bits: 256,
    });
    assert.equal(describeCertificate(pki.identities.ecP256.certDer).subjectEmail, undefined);
  });

  it('keeps a Cyrillic UTF8String subject intact', () => {
    const info = describeCertificate(pki.identities.cyrillic.certDer);
    assert.equal(info.subject, 'C=RU,O=ООО Тест,CN=Мария Иванова');
    assert.equal(info.subjectCommonName, 'Мария Иванова');
    assert.equal(info.subjectOrganization, 'ООО Тест');
    // The CN is encoded as UTF8String (tag 0x0c) followed by its UTF-8 bytes.
    const cn = Buffer.from('Мария Иванова', 'utf8');
    assert.ok(info.subjectNameDer.includes(Buffer.concat([Buffer.from([0x0c, cn.length]), cn])));
  });

  it('reads CA flags and the TSA extended key usage', () => {
    const root = describeCertificate(pki.rootCertDer);
    assert.equal(root.isCA, true);
    assert.equal(root.subject, root.issuer);
    assert.deepEqual(root.keyUsage, ['keyCertSign', 'cRLSign']);
    assert.equal(describeCertificate(pki.intermediateCertDer).isCA, true);
    const tsa = describeCertificate(pki.tsa.certDer);
    assert.deepEqual(tsa.extendedKeyUsage, ['timeStamping']);
    assert.equal(tsa.extendedKeyUsageCritical, true);
    assert.ok(tsa.subjectKeyIdentifier && tsa.subjectKeyIdentifier.length === 20);
  });

  it('throws KEY_INVALID for bytes that are not a certificate', () => {
    const der = pki.identities.rsa2048.certDer;
    for (const bad of [
      Buffer.alloc(0),
      Buffer.from('hello'),
      der.subarray(0, der.length - 1),
      Buffer.concat([der, Buffer.from([0])]),
    ]) {
      assert.throws(
        () => describeCertificate(bad),
        (e: unknown) => e instanceof AppError && e.code === ErrorCode.KEY_INVALID && /cannot be parsed/.test(e.message),
      );
    }
  });
});

describe('checkValidityAt', () => {
  let pki: TestPki;
  before(async () => {
    pki = await createTestPki();
  });

  it('accepts a date inside the validity period', () => {
    checkValidityAt(describeCertificate(pki.identities.rsa2048.certDer), new Date());
  });

  it('throws CERT_EXPIRED naming the subject and the dates', () => {
    const info = describeCertificate(pki.identities.expired.certDer);
    const now = new Date();
    assert.throws(
      () => checkValidityAt(info, now),
      (e: unknown) => {
        assert.ok(e instanceof AppError);
        assert.equal(e.code, ErrorCode.CERT_EXPIRED);
        assert.ok(e.message.includes('CN=Old Expired'), e.message);
        assert.ok(e.message.includes(info.notAfter.toISOString()), e.message);
        assert.ok(e.message.includes(now.toISOString()), e.message);
        return true;
      },
    );
    // The same certificate was fine while it was valid.
    checkValidityAt(info, new Date(info.notAfter.getTime() - 1000));
  });

  it('throws CERT_NOT_YET_VALID naming the subject and the dates', () => {
    const info = describeCertificate(pki.identities.notYetValid.certDer);
    assert.throws(
      () => checkValidityAt(info, new Date()),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === ErrorCode.CERT_NOT_YET_VALID &&
        e.message.includes('CN=Future Signer') &&
        e.message.includes(info.notBefore.toISOString()),
    );
  });
});
