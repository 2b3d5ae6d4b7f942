/**
 * Documents already signed by other products with SHA-384/SHA-512 (ECDSA P-384 as pyHanko does by default,
 * RSA-PSS with SHA-512): their signatures verify in our verifier, we sign after them, and pdfsig and mutool find
 * both signatures valid. A tampered one is still refused, for the right reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { FileSource } from '../../shared/pdf/pdf-source.js';
import { signPdfFile } from '../../shared/pdf/sign-pdf.js';
import { type VerifyReport, verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { getCorpus } from '../support/corpus.js';
import { type ForeignSignOptions, signLikeAnotherProduct } from '../support/foreign-signature.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { assertAllValidAndTrusted, mutoolVerify, pdfsig } from '../support/verifiers.js';

describe('signing after a SHA-384 / SHA-512 signature of another product', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let dir: string;
  let base: string;

  before(async () => {
    const [p, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    pki = p;
    base = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'foreign-digest-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const ours = (file: string): VerifyReport => {
    const fd = fs.openSync(file, 'r');
    try {
      return verifyPdf(new FileSource(fd), { trustRoots: [pki.rootCertDer] });
    } finally {
      fs.closeSync(fd);
    }
  };

  /**
   * `mutool: false`: mupdf 1.21 checks signatures with OpenSSL's PKCS#7 API, which verifies with PKCS#1 v1.5
   * padding only, so it prints "Digest error" for any RSA-PSS signature (ours are never PSS); pdfsig is the judge.
   */
  const cases: Array<{ title: string; options: () => ForeignSignOptions; hash: string; mutool?: false }> = [
    {
      title: 'ECDSA P-384 with SHA-384 (pyHanko-style)',
      options: () => ({ identity: pki.verifyOnly.ecP384, digest: 'sha384' }),
      hash: 'SHA-384',
    },
    {
      title: 'RSA-PSS with SHA-512',
      options: () => ({ identity: pki.identities.rsa3072, digest: 'sha512', pss: true }),
      hash: 'SHA-512',
      mutool: false,
    },
    {
      title: 'RSA PKCS#1 v1.5 with SHA-512',
      options: () => ({ identity: pki.identities.rsa2048, digest: 'sha512' }),
      hash: 'SHA-512',
    },
  ];

  for (const [i, c] of cases.entries()) {
    it(`${c.title}: verifies, and our signature after it keeps both valid`, async () => {
      const first = path.join(dir, `foreign-${i}.pdf`);
      const second = path.join(dir, `foreign-${i}-then-ours.pdf`);
      await signLikeAnotherProduct(base, first, c.options());
      const before = ours(first);
      assert.equal(before.signatures.length, 1);
      assert.deepEqual(before.signatures[0]!.problems, []);
      assert.equal(before.signatures[0]!.integrity, true);

      const id = pki.identities.ecP256;
      await signPdfFile(first, second, { key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password) });
      const report = await pdfsig(second, { nssDir: pki.nssDir });
      assertAllValidAndTrusted(report, 2);
      assert.equal(report.signatures[0]!.hashAlgorithm, c.hash, report.stdout);
      const mutool = await mutoolVerify(second);
      assert.equal(mutool.signatures.length, 2, mutool.output);
      assert.equal(mutool.signatures[1]!.valid, true, mutool.output);
      if (c.mutool !== false) assert.equal(mutool.signatures[0]!.valid, true, mutool.output);
      const after = ours(second);
      assert.ok(
        after.signatures.every((s) => s.ok),
        JSON.stringify(after, null, 1),
      );
    });
  }

  it('still refuses to sign when the SHA-384 signature is broken, naming the changed bytes', async () => {
    const first = path.join(dir, 'foreign-tampered-source.pdf');
    await signLikeAnotherProduct(base, first, { identity: pki.verifyOnly.ecP384, digest: 'sha384' });
    const bytes = fs.readFileSync(first);
    const at = bytes.indexOf('%PDF-1.') + 7; // the minor version digit: inside the signed range, harmless to parsers
    bytes[at] = bytes[at] === 0x37 ? 0x36 : 0x37;
    const tampered = path.join(dir, 'foreign-tampered.pdf');
    fs.writeFileSync(tampered, bytes);
    assert.equal(ours(tampered).signatures[0]!.integrity, false);
    const id = pki.identities.rsa2048;
    await assert.rejects(
      signPdfFile(tampered, path.join(dir, 'never.pdf'), {
        key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
      }),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === ErrorCode.PDF_EXISTING_SIGNATURE_INVALID &&
        /Paula Hanko.*changed after signing/.test(error.message),
    );
    assert.equal(fs.existsSync(path.join(dir, 'never.pdf')), false);
  });
});
