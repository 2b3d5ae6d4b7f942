/** The native PKCS#12 reader opens OpenSSL 3 default files and leaves legacy ones to node-forge. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readModernPkcs12 } from '../../shared/crypto/pkcs12-reader.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';

describe('readModernPkcs12', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let dir: string;
  before(async () => {
    pki = await createTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p12-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function export12(name: string, extra: string[], password: string): Buffer {
    const id = pki.identities.ecP256;
    const out = path.join(dir, `${name}.p12`);
    execFileSync('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      id.keyPath,
      '-in',
      id.certPath,
      '-certfile',
      id.chainPath,
      '-out',
      out,
      '-passout',
      `pass:${password}`,
      ...extra,
    ]);
    return fs.readFileSync(out);
  }

  it('opens the default PBES2 / AES-256 / SHA-256 MAC file natively: key matches, chain included', () => {
    const result = readModernPkcs12(export12('modern', [], 'pässwörd'), 'pässwörd');
    assert.ok(result, 'modern file must be read natively');
    assert.equal(result.keys.length, 1);
    assert.equal(result.certificates.length, 3);
    const key = crypto.createPrivateKey({ key: result.keys[0]!, format: 'der', type: 'pkcs8' });
    const cert = new crypto.X509Certificate(fs.readFileSync(pki.identities.ecP256.certPath));
    const sig = crypto.sign('sha256', Buffer.from('x'), key);
    assert.ok(crypto.verify('sha256', Buffer.from('x'), cert.publicKey, sig));
  });

  it('opens a file with an empty password and one with a SHA-1 MAC', () => {
    assert.ok(readModernPkcs12(export12('empty', [], ''), ''));
    assert.ok(readModernPkcs12(export12('sha1mac', ['-macalg', 'sha1'], 'pw'), 'pw'));
  });

  it('rejects a wrong password with KEY_BAD_PASSWORD', () => {
    assert.throws(() => readModernPkcs12(export12('wrong', [], 'right'), 'wrong'), { code: 'KEY_BAD_PASSWORD' });
  });

  it('returns undefined for legacy RC2/3DES files, which node-forge then opens', () => {
    const legacy = export12('legacy', ['-legacy'], 'pw');
    assert.equal(readModernPkcs12(legacy, 'pw'), undefined);
  });
});
