import assert from 'node:assert/strict';
import { createPrivateKey, verify, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describeCertificate } from '../../../shared/crypto/certificate-info.js';
import { createRoot } from '../../../shared/crypto/internal-ca/create-root.js';
import { openInternalSigningKey } from '../../../shared/crypto/internal-ca/internal-signing-key.js';
import { DOCUMENT_SIGNING_EKU, issueCertificate } from '../../../shared/crypto/internal-ca/issue-certificate.js';
import { generateMasterKeyBytes, MasterKey } from '../../../shared/crypto/master-key.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { certificateText, makeCaFixture, openssl, writeCertPem } from './ca-fixture.js';

const code = (c: ErrorCode) => (e: unknown) => e instanceof AppError && e.code === c;

describe('issueCertificate', () => {
  let fixture: ReturnType<typeof makeCaFixture>;
  before(async () => {
    fixture = makeCaFixture();
    await createRoot({
      store: fixture.store,
      masterKey: fixture.masterKey,
      keyType: 'ec-p256',
      publicBaseUrl: 'http://127.0.0.1:9',
      subject: { commonName: 'Acme Internal CA', organization: 'ООО Акме' },
    });
  });
  after(() => fixture.cleanup());

  const subject = { commonName: 'Мария Иванова', organization: 'ООО Акме', email: 'maria@acme.example' };

  it('issues CN/O/e-mail with digitalSignature+nonRepudiation, document-signing EKU, CRL DP and AIA', async () => {
    const record = await issueCertificate({ store: fixture.store, masterKey: fixture.masterKey, subject });
    const info = describeCertificate(record.certificate);
    assert.equal(record.id, info.fingerprintSha256.toLowerCase());
    assert.equal(record.serialNumber, info.serialNumber);
    assert.equal(info.subjectCommonName, 'Мария Иванова');
    assert.equal(info.subjectOrganization, 'ООО Акме');
    assert.equal(info.subjectEmail, 'maria@acme.example');
    assert.equal(info.publicKeyDescription, 'RSA 2048');
    assert.deepEqual(info.keyUsage, ['digitalSignature', 'nonRepudiation']);
    assert.deepEqual(info.extendedKeyUsage, ['emailProtection', DOCUMENT_SIGNING_EKU]);
    assert.equal(info.isCA, false);
    const text = await certificateText(fixture.dir, 'user', record.certificate);
    assert.match(text, /Key Usage: critical\s+Digital Signature, Non Repudiation/);
    assert.match(text, /CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1:9\/ca\/root\.crl/);
    assert.match(text, /CA Issuers - URI:http:\/\/127\.0\.0\.1:9\/ca\/root\.crt/);
    assert.match(text, /Subject Alternative Name:\s+email:maria@acme\.example/);
    assert.match(text, /Authority Key Identifier/);
    // Cyrillic names are UTF8String [RFC 5280 §4.1.2.6].
    const asn1 = await openssl([
      'asn1parse',
      '-inform',
      'DER',
      '-in',
      writeDer(fixture.dir, 'user', record.certificate),
    ]);
    assert.match(asn1, /UTF8STRING\s+:Мария Иванова/);
    const root = (await fixture.store.loadRoot())!;
    const rootPem = writeCertPem(fixture.dir, 'root', root.certificate);
    const userPem = writeCertPem(fixture.dir, 'user', record.certificate);
    assert.match(await openssl(['verify', '-CAfile', rootPem, '-purpose', 'smimesign', userPem]), /: OK/);
    assert.ok(info.notBefore.getTime() >= describeCertificate(root.certificate).notBefore.getTime());
  });

  it('seals the key at rest; the opened key signs for the certificate with the root as chain', async () => {
    const record = await issueCertificate({
      store: fixture.store,
      masterKey: fixture.masterKey,
      subject,
      keyType: 'ec-p256',
    });
    const file = path.join(fixture.dir, 'ca', 'issued', `${record.id}.json`);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(stored.key.kind, 'software');
    assert.equal(stored.key.sealed.keyId, fixture.masterKey.keyId);
    const ciphertext = Buffer.from(stored.key.sealed.ciphertext, 'base64');
    assert.throws(
      () => createPrivateKey({ key: ciphertext, format: 'der', type: 'pkcs8' }),
      'the key is not stored in clear',
    );
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(record.key?.kind, 'software');
    const [reloaded] = (await fixture.store.listIssued()).filter((r) => r.id === record.id);
    const root = (await fixture.store.loadRoot())!;
    const key = openInternalSigningKey(reloaded!, root, fixture.masterKey);
    assert.deepEqual(key.algorithm, { kind: 'ec', curve: 'P-256', bits: 256 });
    assert.deepEqual(key.chain, [root.certificate]);
    const data = Buffer.from('signed attributes');
    assert.ok(verify('sha256', data, new X509Certificate(record.certificate).publicKey, await key.sign(data)));
    const wrong = MasterKey.fromBytes(generateMasterKeyBytes());
    assert.throws(() => openInternalSigningKey(reloaded!, root, wrong), code(ErrorCode.MASTER_KEY_INVALID));
  });

  it('issues RSA 3072 keys, and never past the end of the root', async () => {
    const record = await issueCertificate({
      store: fixture.store,
      masterKey: fixture.masterKey,
      subject: { commonName: 'Robert Brown', organization: 'Acme', email: 'rb@acme.example' },
      keyType: 'rsa3072',
    });
    assert.equal(describeCertificate(record.certificate).publicKeyDescription, 'RSA 3072');
    const short = makeCaFixture();
    try {
      const root = await createRoot({
        store: short.store,
        masterKey: short.masterKey,
        keyType: 'ec-p256',
        validityYears: 1,
        subject: { commonName: 'Short CA' },
      });
      const long = await issueCertificate({
        store: short.store,
        masterKey: short.masterKey,
        subject,
        keyType: 'ec-p256',
        validityDays: 3650,
      });
      assert.deepEqual(describeCertificate(long.certificate).notAfter, describeCertificate(root.certificate).notAfter);
    } finally {
      short.cleanup();
    }
  });

  it('refuses bad subjects and validity with INVALID_ARGUMENT, and a missing root with CA_NOT_INITIALIZED', async () => {
    const base = { store: fixture.store, masterKey: fixture.masterKey };
    await assert.rejects(
      issueCertificate({ ...base, subject: { ...subject, email: 'мария@acme' } }),
      code(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(
      issueCertificate({ ...base, subject: { ...subject, commonName: 'x'.repeat(65) } }),
      code(ErrorCode.INVALID_ARGUMENT),
    );
    await assert.rejects(issueCertificate({ ...base, subject, validityDays: 0 }), code(ErrorCode.INVALID_ARGUMENT));
    const empty = makeCaFixture();
    try {
      await assert.rejects(
        issueCertificate({ store: empty.store, masterKey: empty.masterKey, subject }),
        (e: unknown) => code(ErrorCode.CA_NOT_INITIALIZED)(e) && /ca init/.test((e as Error).message),
      );
    } finally {
      empty.cleanup();
    }
  });

  it('refuses to issue under another master key (MASTER_KEY_INVALID) without storing anything', async () => {
    const before = (await fixture.store.listIssued()).length;
    const wrong = MasterKey.fromBytes(generateMasterKeyBytes());
    await assert.rejects(
      issueCertificate({ store: fixture.store, masterKey: wrong, subject }),
      code(ErrorCode.MASTER_KEY_INVALID),
    );
    assert.equal((await fixture.store.listIssued()).length, before);
  });
});

function writeDer(dir: string, name: string, der: Buffer): string {
  const file = path.join(dir, `${name}.der`);
  fs.writeFileSync(file, der);
  return file;
}
