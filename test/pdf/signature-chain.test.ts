/** Three approvers sign one after another: every signature stays valid and nothing disallowed changes. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { FileSource } from '../../shared/pdf/pdf-source.js';
import { signPdfFile } from '../../shared/pdf/sign-pdf.js';
import type { StampPosition } from '../../shared/pdf/stamp/stamp-placement.js';
import { verifyPdf } from '../../shared/pdf/verify-pdf.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';
import { mutoolVerify, pdffonts, pdfsig, qpdfCheck } from '../support/verifiers.js';

describe('a chain of three signers', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let dir: string;
  let corpus: Awaited<ReturnType<typeof getCorpus>>;

  before(async () => {
    [pki, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const base of ['reportlab-classic.pdf', 'qpdf-objstm.pdf', 'hybrid-xref.pdf', 'signed-by-pdfsig.pdf']) {
    it(`keeps all signatures valid on ${base}`, async () => {
      const signers: [keyof TestPki['identities'], StampPosition][] = [
        ['rsa2048', 'bottom-left'],
        ['ecP256', 'bottom-center'],
        ['cyrillic', 'bottom-right'],
      ];
      let current = corpus.good.find((f) => f.name === base)!.path;
      const existing = (await pdfsig(current, { nssDir: pki.nssDir })).signatures.length;
      for (const [i, [who, position]] of signers.entries()) {
        const id = pki.identities[who];
        const next = path.join(dir, `${base}-${i + 1}.pdf`);
        await signPdfFile(current, next, {
          key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
          position,
          lang: who === 'cyrillic' ? 'ru' : 'en',
        });
        current = next;
      }
      assert.equal((await qpdfCheck(current)).exitCode, 0);
      const report = await pdfsig(current, { nssDir: pki.nssDir });
      assert.equal(report.signatures.length, existing + 3);
      for (const s of report.signatures) assert.equal(s.validation, 'Signature is Valid.', report.stdout);
      for (const s of report.signatures.slice(existing))
        assert.equal(s.certificate, 'Certificate is Trusted.', report.stdout);
      const m = await mutoolVerify(current);
      assert.ok(
        m.signatures.every((s) => s.valid),
        m.output,
      );
      const fd = fs.openSync(current, 'r');
      const ours = verifyPdf(new FileSource(fd), { trustRoots: [pki.rootCertDer] });
      fs.closeSync(fd);
      const names = ours.signatures.map((s) => s.fieldName);
      assert.equal(new Set(names).size, names.length, `unique field names: ${names}`);
      for (const s of ours.signatures) {
        assert.ok(s.integrity, `${s.fieldName} integrity`);
        assert.deepEqual(s.laterChanges.disallowed, [], `${s.fieldName}: ${s.laterChanges.disallowed}`);
      }
      const mine = ours.signatures.slice(existing);
      assert.deepEqual(
        mine.map((s) => s.revision),
        [mine[0]!.revision!, mine[0]!.revision! + 1, mine[0]!.revision! + 2],
      );
      assert.ok(mine[2]!.coversWholeDocument && !mine[0]!.coversWholeDocument);
      assert.equal(mine[2]!.signer?.commonName, 'Мария Иванова');
      const fonts = await pdffonts(current);
      assert.ok(
        fonts.some((f) => f.embedded && f.subset && /DejaVuSans/.test(f.name)),
        JSON.stringify(fonts),
      );
    });
  }

  it('reports a later change of page content as disallowed', async () => {
    const id = pki.identities.rsa2048;
    const signed = path.join(dir, 'content-base.pdf');
    await signPdfFile(corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path, signed, {
      key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
    });
    // Append a revision by hand that replaces the first page's content stream.
    const bytes = fs.readFileSync(signed);
    const fd = fs.openSync(signed, 'r');
    const { PdfDocument } = await import('../../shared/pdf/pdf-document.js');
    const { findPage } = await import('../../shared/pdf/page-tree.js');
    const doc = PdfDocument.open(new FileSource(fd));
    const page = findPage(doc, 0);
    const contents = page.dict.get('Contents') as { num: number };
    fs.closeSync(fd);
    const body = 'BT /F1 24 Tf 100 500 Td (FORGED) Tj ET';
    const obj = `${contents.num} 0 obj\n<< /Length ${body.length} >>\nstream\n${body}\nendstream\nendobj\n`;
    const xrefAt = bytes.length + obj.length;
    const xref = `xref\n${contents.num} 1\n${String(bytes.length).padStart(10, '0')} 00000 n\r\n`;
    const trailer = `trailer\n<< /Size ${doc.size} /Root ${doc.root.num} 0 R /Prev ${doc.startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    const forged = path.join(dir, 'forged.pdf');
    fs.writeFileSync(forged, Buffer.concat([bytes, Buffer.from(obj + xref + trailer, 'latin1')]));
    const fd2 = fs.openSync(forged, 'r');
    const report = verifyPdf(new FileSource(fd2), {});
    fs.closeSync(fd2);
    assert.equal(report.allOk, false);
    assert.match(report.signatures[0]!.laterChanges.disallowed.join('; '), /stream object .* modified/);
  });
});
