import assert from 'node:assert/strict';
import { verify, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPemKey, loadPkcs12 } from '../../shared/crypto/software-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runTool } from '../support/run-tool.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';

function expectCode(code: string, message?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };
}

describe('software keys', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  async function openssl(args: string[]): Promise<void> {
    const run = await runTool('openssl', args);
    assert.equal(run.exitCode, 0, `openssl ${args.join(' ')}: ${run.stderr}`);
  }

  /** A self-signed certificate and PKCS#12 for a key made with `genpkey` options. */
  async function selfSigned(name: string, genpkey: string[]): Promise<void> {
    await openssl(['genpkey', ...genpkey, '-out', file(`${name}.key`)]);
    await openssl([
      'req',
      '-x509',
      '-key',
      file(`${name}.key`),
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-out',
      file(`${name}.pem`),
    ]);
    await openssl([
      'pkcs12',
      '-export',
      '-inkey',
      file(`${name}.key`),
      '-in',
      file(`${name}.pem`),
      '-out',
      file(`${name}.p12`),
      '-passout',
      'pass:pw',
    ]);
  }

  before(async () => {
    pki = await createTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'software-key-'));
    await Promise.all([
      selfSigned('ed25519', ['-algorithm', 'ed25519']),
      selfSigned('rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']),
      selfSigned('p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']),
      (async () => {
        await openssl([
          'genpkey',
          '-genparam',
          '-algorithm',
          'DSA',
          '-pkeyopt',
          'dsa_paramgen_bits:2048',
          '-out',
          file('dsa-params.pem'),
        ]);
        await selfSigned('dsa', ['-paramfile', file('dsa-params.pem')]);
      })(),
    ]);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('loadPkcs12', () => {
    it('opens OpenSSL 3 default files (PBES2/AES-256, SHA-256 MAC) for RSA and EC, chain issuer first', async () => {
      for (const id of Object.values(pki.identities)) {
        const key = await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
        assert.ok(key.certificate.equals(id.certDer), id.name);
        assert.equal(key.chain.length, 2);
        assert.ok(key.chain[0]!.equals(pki.intermediateCertDer), `${id.name}: intermediate first`);
        assert.ok(key.chain[1]!.equals(pki.rootCertDer), `${id.name}: root last`);
        const signature = await key.sign(Buffer.from('attributes'));
        assert.ok(
          verify('sha256', Buffer.from('attributes'), new X509Certificate(id.certDer).publicKey, signature),
          id.name,
        );
      }
      const ec = await loadPkcs12(fs.readFileSync(pki.identities.ecP256.p12Path), pki.identities.ecP256.p12Password);
      assert.deepEqual(ec.algorithm, { kind: 'ec', curve: 'P-256', bits: 256 });
      assert.equal((await ec.sign(Buffer.from('x')))[0], 0x30, 'ECDSA value is a DER SEQUENCE');
      const rsa = await loadPkcs12(fs.readFileSync(pki.identities.rsa3072.p12Path), pki.identities.rsa3072.p12Password);
      assert.deepEqual(rsa.algorithm, { kind: 'rsa', bits: 3072 });
    });

    it('opens legacy files (RC2/3DES, SHA-1 MAC) and orders a root-first chain issuer first', async () => {
      const id = pki.identities.rsa2048;
      const rootFirst = file('root-first.pem');
      fs.writeFileSync(
        rootFirst,
        Buffer.concat([fs.readFileSync(pki.rootCertPath), fs.readFileSync(pki.intermediateCertPath)]),
      );
      await openssl([
        'pkcs12',
        '-export',
        '-legacy',
        '-inkey',
        id.keyPath,
        '-in',
        id.certPath,
        '-certfile',
        rootFirst,
        '-out',
        file('legacy.p12'),
        '-passout',
        'pass:old',
      ]);
      const key = await loadPkcs12(fs.readFileSync(file('legacy.p12')), 'old');
      assert.ok(key.certificate.equals(id.certDer));
      assert.deepEqual(
        key.chain.map((c) => new X509Certificate(c).subject),
        [new X509Certificate(pki.intermediateCertDer).subject, new X509Certificate(pki.rootCertDer).subject],
      );
    });

    it('says KEY_BAD_PASSWORD for a wrong password', async () => {
      const id = pki.identities.rsa2048;
      await assert.rejects(
        loadPkcs12(fs.readFileSync(id.p12Path), 'wrong'),
        expectCode(ErrorCode.KEY_BAD_PASSWORD, /^The PKCS#12 password is wrong$/),
      );
    });

    it('says KEY_INVALID without a key, without a matching certificate, or for bytes that are no PKCS#12', async () => {
      const id = pki.identities.rsa2048;
      await openssl([
        'pkcs12',
        '-export',
        '-nokeys',
        '-in',
        id.certPath,
        '-out',
        file('nokey.p12'),
        '-passout',
        'pass:pw',
      ]);
      await assert.rejects(
        loadPkcs12(fs.readFileSync(file('nokey.p12')), 'pw'),
        expectCode(ErrorCode.KEY_INVALID, /no private key/),
      );
      await openssl([
        'pkcs12',
        '-export',
        '-inkey',
        id.keyPath,
        '-in',
        pki.identities.cyrillic.certPath,
        '-nocerts',
        '-out',
        file('keyonly.p12'),
        '-passout',
        'pass:pw',
      ]);
      await assert.rejects(
        loadPkcs12(fs.readFileSync(file('keyonly.p12')), 'pw'),
        expectCode(ErrorCode.KEY_INVALID, /no certificate for its private key/),
      );
      await assert.rejects(
        loadPkcs12(Buffer.from('definitely not PKCS#12'), 'pw'),
        expectCode(ErrorCode.KEY_INVALID, /cannot be read/),
      );
    });

    it('says KEY_UNSUPPORTED for Ed25519, DSA, RSA-1024 and P-384 keys', async () => {
      for (const [name, what] of [
        ['ed25519', /ed25519/],
        ['dsa', /dsa/],
        ['rsa1024', /1024 bits/],
        ['p384', /secp384r1/],
      ] as const) {
        await assert.rejects(
          loadPkcs12(fs.readFileSync(file(`${name}.p12`)), 'pw'),
          expectCode(ErrorCode.KEY_UNSUPPORTED, what),
          name,
        );
      }
    });
  });

  describe('loadPemKey', () => {
    it('loads a key with its certificate and chain', async () => {
      const id = pki.identities.ecP256;
      const key = loadPemKey(fs.readFileSync(id.keyPath, 'utf8'), id.certPem, fs.readFileSync(id.chainPath));
      assert.ok(key.certificate.equals(id.certDer));
      assert.deepEqual(
        key.chain.map((c) => c.equals(pki.intermediateCertDer) || c.equals(pki.rootCertDer)),
        [true, true],
      );
      assert.ok(
        verify('sha256', Buffer.from('a'), new X509Certificate(id.certDer).publicKey, await key.sign(Buffer.from('a'))),
      );
      // A "full chain" certificate file works without a separate chain file.
      const full = loadPemKey(fs.readFileSync(id.keyPath), `${id.certPem}${fs.readFileSync(id.chainPath, 'utf8')}`);
      assert.equal(full.chain.length, 2);
      assert.ok(full.chain[0]!.equals(pki.intermediateCertDer));
    });

    it('says KEY_INVALID when key and certificate do not match, or the key is encrypted', async () => {
      const id = pki.identities.rsa2048;
      assert.throws(
        () => loadPemKey(fs.readFileSync(id.keyPath), pki.identities.cyrillic.certPem),
        expectCode(ErrorCode.KEY_INVALID, /does not belong to the certificate/),
      );
      await openssl(['pkey', '-in', id.keyPath, '-aes256', '-passout', 'pass:x', '-out', file('encrypted.key')]);
      assert.throws(
        () => loadPemKey(fs.readFileSync(file('encrypted.key')), id.certPem),
        expectCode(ErrorCode.KEY_INVALID, /encrypted/),
      );
      assert.throws(() => loadPemKey('garbage', id.certPem), expectCode(ErrorCode.KEY_INVALID));
      assert.throws(
        () => loadPemKey(fs.readFileSync(id.keyPath), 'no certificate here'),
        expectCode(ErrorCode.KEY_INVALID, /no certificate/),
      );
    });

    it('says KEY_UNSUPPORTED for Ed25519 and DSA keys', () => {
      for (const name of ['ed25519', 'dsa']) {
        assert.throws(
          () => loadPemKey(fs.readFileSync(file(`${name}.key`)), fs.readFileSync(file(`${name}.pem`))),
          expectCode(ErrorCode.KEY_UNSUPPORTED),
          name,
        );
      }
    });
  });
});
