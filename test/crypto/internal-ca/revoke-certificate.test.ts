import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { IssuedRecord } from '../../../shared/crypto/internal-ca/ca-store.js';
import { createRoot } from '../../../shared/crypto/internal-ca/create-root.js';
import { issueCrl } from '../../../shared/crypto/internal-ca/crl.js';
import { issueCertificate } from '../../../shared/crypto/internal-ca/issue-certificate.js';
import { revokeCertificate } from '../../../shared/crypto/internal-ca/revoke-certificate.js';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { makeCaFixture, openssl, opensslResult, writeCertPem } from './ca-fixture.js';

const code = (c: ErrorCode) => (e: unknown) => e instanceof AppError && e.code === c;

describe('revokeCertificate and issueCrl', () => {
  let fixture: ReturnType<typeof makeCaFixture>;
  let alice: IssuedRecord;
  let bob: IssuedRecord;
  let rootPem: string;

  before(async () => {
    fixture = makeCaFixture();
    const { store, masterKey } = fixture;
    const root = await createRoot({
      store,
      masterKey,
      keyType: 'ec-p256',
      subject: { commonName: 'Acme CA', organization: 'Acme' },
    });
    rootPem = writeCertPem(fixture.dir, 'root', root.certificate);
    const subject = (cn: string) => ({
      commonName: cn,
      organization: 'Acme',
      email: `${cn.toLowerCase()}@acme.example`,
    });
    alice = await issueCertificate({ store, masterKey, keyType: 'ec-p256', subject: subject('Alice') });
    bob = await issueCertificate({ store, masterKey, keyType: 'ec-p256', subject: subject('Bob') });
  });
  after(() => fixture.cleanup());

  function crlFile(der: Buffer, name: string): string {
    const file = path.join(fixture.dir, `${name}.der`);
    fs.writeFileSync(file, der);
    return file;
  }

  it('issues an empty v2 CRL signed by the root, with CRL number and AKI', async () => {
    const der = await issueCrl({ store: fixture.store, masterKey: fixture.masterKey });
    const file = crlFile(der, 'crl-empty');
    const text = await openssl(['crl', '-inform', 'DER', '-in', file, '-noout', '-text']);
    assert.match(text, /Version 2/);
    assert.match(text, /CRL Number:\s+1\b/);
    assert.match(text, /Authority Key Identifier/);
    assert.match(text, /No Revoked Certificates/);
    const check = await opensslResult(['crl', '-inform', 'DER', '-in', file, '-CAfile', rootPem, '-noout', '-verify']);
    assert.match(check.output, /verify OK/);
    assert.deepEqual(await fixture.store.loadCrl(), der);
  });

  it('revokes by serial number: the CRL lists the serial with its reason and a higher number', async () => {
    const { crl, revocation } = await revokeCertificate({
      store: fixture.store,
      masterKey: fixture.masterKey,
      certificate: alice.serialNumber.toLowerCase(),
      reason: 'keyCompromise',
    });
    assert.equal(revocation.id, alice.id);
    const file = crlFile(crl, 'crl-1');
    const text = await openssl(['crl', '-inform', 'DER', '-in', file, '-noout', '-text']);
    assert.match(text, new RegExp(`Serial Number: ${alice.serialNumber}`));
    assert.match(text, /Key Compromise/);
    assert.match(text, /CRL Number:\s+2\b/);
    assert.doesNotMatch(text, new RegExp(bob.serialNumber));
    // openssl's own revocation check agrees: Alice is revoked, Bob is not.
    const pem = path.join(fixture.dir, 'crl-1.pem');
    await openssl(['crl', '-inform', 'DER', '-in', file, '-out', pem]);
    const verifyWith = (who: IssuedRecord, name: string) =>
      opensslResult([
        'verify',
        '-crl_check',
        '-CAfile',
        rootPem,
        '-CRLfile',
        pem,
        writeCertPem(fixture.dir, name, who.certificate),
      ]);
    const a = await verifyWith(alice, 'alice');
    assert.notEqual(a.exitCode, 0);
    assert.match(a.output, /certificate revoked/);
    assert.equal((await verifyWith(bob, 'bob')).exitCode, 0);
  });

  it('revokes by id prefix; a second revocation is CERT_REVOKED, an unknown one CERT_UNKNOWN', async () => {
    await revokeCertificate({ store: fixture.store, masterKey: fixture.masterKey, certificate: bob.id.slice(0, 12) });
    const revoked = await fixture.store.listRevocations();
    assert.deepEqual(
      revoked.map((r) => [r.id, r.reason]).sort(),
      [
        [alice.id, 'keyCompromise'],
        [bob.id, 'unspecified'],
      ].sort(),
    );
    const again = revokeCertificate({ store: fixture.store, masterKey: fixture.masterKey, certificate: bob.id });
    await assert.rejects(again, code(ErrorCode.CERT_REVOKED));
    const unknown = revokeCertificate({
      store: fixture.store,
      masterKey: fixture.masterKey,
      certificate: 'abcdef0123456789',
    });
    await assert.rejects(unknown, code(ErrorCode.CERT_UNKNOWN));
    const bad = revokeCertificate({
      store: fixture.store,
      masterKey: fixture.masterKey,
      certificate: alice.id,
      reason: 'whim' as never,
    });
    await assert.rejects(bad, code(ErrorCode.INVALID_ARGUMENT));
    const text = await openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      crlFile((await fixture.store.loadCrl())!, 'crl-2'),
      '-noout',
      '-text',
    ]);
    assert.match(text, new RegExp(alice.serialNumber));
    assert.match(text, new RegExp(bob.serialNumber));
    assert.match(text, /CRL Number:\s+3\b/);
  });
});
