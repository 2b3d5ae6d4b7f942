/**
 * The stamp lands in the requested sixth of the page as the reader sees it, on upright and rotated
 * pages and with offset boxes: checked by rendering with poppler's pdftoppm and diffing against the
 * unsigned page.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SigningKey } from '../../shared/crypto/signing-key.js';
import { loadPkcs12 } from '../../shared/crypto/software-key.js';
import { signPdfFile } from '../../shared/pdf/sign-pdf.js';
import { STAMP_POSITIONS } from '../../shared/pdf/stamp/stamp-placement.js';
import { getCorpus } from '../support/corpus.js';
import { createTestPki } from '../support/test-pki.js';
import { diffBox, renderPageGray } from '../support/verifiers.js';

const DPI = 36;

describe('stamp position', function () {
  this.timeout(300_000);
  let key: SigningKey;
  let dir: string;
  let corpus: Awaited<ReturnType<typeof getCorpus>>;

  before(async () => {
    const [pki, c] = await Promise.all([createTestPki(), getCorpus()]);
    corpus = c;
    const id = pki.identities.cyrillic;
    key = await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stamp-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: [string, number][] = [
    ['reportlab-classic.pdf', 1],
    ['rotated.pdf', 1],
    ['rotated.pdf', 2],
    ['rotated.pdf', 3],
    ['rotated.pdf', 4],
    ['offset-boxes.pdf', 1],
    ['inherited-attrs.pdf', 1],
  ];
  for (const [file, page] of cases) {
    it(`lands in the requested sixth on ${file} page ${page}`, async () => {
      const input = corpus.good.find((f) => f.name === file)!.path;
      const unsigned = await renderPageGray(input, page, DPI, { cropBox: true });
      const misses: string[] = [];
      for (const position of STAMP_POSITIONS) {
        const out = path.join(dir, `${file}-${page}-${position}.pdf`);
        await signPdfFile(input, out, { key, page, position, lang: 'ru' });
        const signed = await renderPageGray(out, page, DPI, { cropBox: true });
        assert.equal(signed.width, unsigned.width);
        const box = diffBox(unsigned, signed);
        assert.ok(box, `${position}: nothing was drawn`);
        const [v, h] = position.split('-');
        const col = h === 'left' ? 0 : h === 'center' ? 1 : 2;
        const row = v === 'top' ? 0 : 1;
        const cw = signed.width / 3;
        const rh = signed.height / 2;
        const inside =
          box.x0 >= col * cw - 1 &&
          box.x1 <= (col + 1) * cw + 1 &&
          box.y0 >= row * rh - 1 &&
          box.y1 <= (row + 1) * rh + 1;
        if (!inside) misses.push(`${position}: box ${JSON.stringify(box)} in ${signed.width}x${signed.height}`);
      }
      assert.deepEqual(misses, []);
    });
  }
});
