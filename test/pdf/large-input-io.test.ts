/**
 * How the engine moves the bytes of a large file from another producer (img2pdf: scanned-image pages, a
 * linearized file whose newest cross-reference table sits at the start): opening it reads only the parts it
 * needs, signing copies it whole and appends, and the output is a fresh file with its own permissions.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { FileSource, type PdfSource } from '../../shared/pdf/pdf-source.js';
import { signPdfFile } from '../../shared/pdf/sign-pdf.js';
import { verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { pdfsig, qpdfCheck } from '../support/verifiers.js';

/** Writes `count` grey-noise JPEGs (incompressible, ~1 MB each) with the system Python's PIL. */
function noiseJpegs(dir: string, count: number): string[] {
  const script = [
    'import random, sys',
    'from PIL import Image',
    'rng = random.Random(7)',
    'for i, out in enumerate(sys.argv[1:]):',
    "    Image.frombytes('L', (1000, 1400), rng.randbytes(1000 * 1400)).save(out, 'JPEG', quality=80)",
  ].join('\n');
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `page-${i}.jpg`));
  execFileSync('/usr/bin/python3', ['-c', script, ...files]);
  return files;
}

/** Counts the bytes the engine asks for. */
class CountingSource implements PdfSource {
  bytesRead = 0;
  constructor(private readonly inner: PdfSource) {}
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, length: number): Buffer {
    const bytes = this.inner.read(offset, length);
    this.bytesRead += bytes.length;
    return bytes;
  }
  scan(visit: (chunk: Buffer, offset: number) => void): void {
    this.inner.scan((chunk, offset) => {
      this.bytesRead += chunk.length;
      visit(chunk, offset);
    });
  }
}

describe('large input from another producer (img2pdf, linearized)', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let dir: string;
  let input: string;

  before(async () => {
    pki = await createTestPki();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'large-io-'));
    input = path.join(dir, 'scanned.pdf');
    execFileSync('img2pdf', [...noiseJpegs(dir, 4), '-o', input]);
    const linearized = execFileSync('qpdf', ['--show-linearization', input], { encoding: 'utf8' });
    assert.doesNotMatch(linearized, /not linearized/, 'img2pdf writes linearized files');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens the document and reads its trailer without reading the whole file', () => {
    const fd = fs.openSync(input, 'r');
    try {
      const source = new CountingSource(new FileSource(fd));
      const doc = PdfDocument.open(source);
      assert.ok(doc.catalog().get('Pages'), 'the catalog is read');
      assert.ok(source.size > 3_000_000, `a large input: ${source.size} bytes`);
      assert.ok(source.bytesRead < 200_000, `read ${source.bytesRead} of ${source.size} bytes`);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('signs it: the input is a byte prefix of the output, the digest is the output file`s, all verifiers agree', async () => {
    const out = path.join(dir, 'signed.pdf');
    const id = pki.identities.rsa2048;
    const result = await signPdfFile(input, out, {
      key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
    });
    const before = fs.readFileSync(input);
    const after = fs.readFileSync(out);
    assert.equal(result.outputSize, after.length);
    assert.ok(after.subarray(0, before.length).equals(before), 'the input is a prefix of the output');
    assert.equal(result.sha256, crypto.createHash('sha256').update(after).digest('hex'));
    assert.equal((await qpdfCheck(out)).exitCode, 0);
    const report = await pdfsig(out, { nssDir: pki.nssDir });
    assert.equal(report.signatures.length, 1, report.stdout);
    assert.equal(report.signatures[0]!.validation, 'Signature is Valid.', report.stdout);
    assert.ok(report.signatures[0]!.totalDocumentSigned, report.stdout);
    const fd = fs.openSync(out, 'r');
    try {
      const ours = verifyPdf(new FileSource(fd), { trustRoots: [pki.rootCertDer] });
      assert.ok(ours.signatures[0]?.integrity && ours.signatures[0].coversWholeDocument);
    } finally {
      fs.closeSync(fd);
    }
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });

  it('gives the output the permissions of a new file, not those of a read-only input', async () => {
    const readOnly = path.join(dir, 'read-only.pdf');
    fs.copyFileSync(input, readOnly);
    fs.chmodSync(readOnly, 0o400);
    const probe = path.join(dir, 'probe');
    fs.writeFileSync(probe, '');
    const out = path.join(dir, 'from-read-only.pdf');
    const id = pki.identities.ecP256;
    await signPdfFile(readOnly, out, { key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password) });
    assert.equal(fs.statSync(out).mode & 0o777, fs.statSync(probe).mode & 0o777);
  });
});
