/**
 * The engine against the fixture corpus from independent producers: every signed output must pass
 * qpdf --check, poppler's pdfsig (valid and trusted), mupdf's `mutool sign -v`, keep the input as a
 * byte prefix, and pass our own verification.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { FileSource } from '../../shared/pdf/pdf-source.js';
import { signPdfFile } from '../../shared/pdf/sign-pdf.js';
import { verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { mutoolVerify, pdfsig, qpdfCheck } from '../support/verifiers.js';

function verifyFile(file: string, roots: Buffer[]) {
  const fd = fs.openSync(file, 'r');
  try {
    return verifyPdf(new FileSource(fd), { trustRoots: roots });
  } finally {
    fs.closeSync(fd);
  }
}

describe('signing the fixture corpus', () => {
  let pki: TestPki;
  let corpus: Awaited<ReturnType<typeof getCorpus>>;
  let out: string;

  before(async function () {
    this.timeout(300_000);
    [pki, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'sign-corpus-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('has a corpus of at least 15 files from independent producers', () => {
    assert.ok(corpus.good.length >= 15, `only ${corpus.good.length} corpus files`);
  });

  it('signs every corpus file so that qpdf, pdfsig, mutool and our verify accept it', async function () {
    this.timeout(600_000);
    const id = pki.identities.rsa2048;
    const key = await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
    const failures: string[] = [];
    for (const file of corpus.good) {
      const signed = path.join(out, file.name);
      try {
        const before = fs.readFileSync(file.path);
        const existing = (await pdfsig(file.path, { nssDir: pki.nssDir })).signatures.length;
        await signPdfFile(file.path, signed, { key, reason: 'Approved', page: 'last', position: 'bottom-right' });
        const after = fs.readFileSync(signed);
        assert.ok(after.subarray(0, before.length).equals(before), 'input is not a byte prefix of the output');
        const q = await qpdfCheck(signed);
        assert.equal(q.exitCode, 0, `qpdf --check: ${q.output}`);
        const report = await pdfsig(signed, { nssDir: pki.nssDir });
        assert.equal(report.signatures.length, existing + 1, 'pdfsig signature count');
        for (const s of report.signatures)
          assert.equal(s.validation, 'Signature is Valid.', `pdfsig: ${report.stdout}`);
        const ours = report.signatures[report.signatures.length - 1]!;
        assert.equal(ours.certificate, 'Certificate is Trusted.', report.stdout);
        assert.equal(ours.type, 'ETSI.CAdES.detached');
        const m = await mutoolVerify(signed);
        assert.ok(m.signatures.length === existing + 1 && m.signatures.every((s) => s.valid), `mutool: ${m.output}`);
        const v = verifyFile(signed, [pki.rootCertDer]);
        const last = v.signatures[v.signatures.length - 1]!;
        assert.ok(last.integrity && last.trusted && last.coversWholeDocument, JSON.stringify(last));
        assert.equal(last.level, 'B-B');
        for (const s of v.signatures)
          assert.deepEqual(s.laterChanges.disallowed, [], `${s.fieldName}: disallowed changes`);
      } catch (e) {
        failures.push(`${file.name}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
