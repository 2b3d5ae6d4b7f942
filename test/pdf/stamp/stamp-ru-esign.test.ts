/**
 * The "ru-esign" stamp style: the Russian convention's frame, title, certificate serial, owner and validity,
 * every line at 7 pt or more at 100 % zoom (mupdf reports the size of each span as drawn on the page), long
 * names wrapped instead of shrunk, and the signature valid in pdfsig. A rendering goes to test/artifacts/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeCertificate } from '../../../shared/crypto/certificate-info.js';
import { loadPkcs12 } from '../../../shared/crypto/software-key.js';
import { signPdfFile } from '../../../shared/pdf/sign-pdf.js';
import { RU_ESIGN_MIN_FONT_SIZE } from '../../../shared/pdf/stamp/stamp-ru-esign.js';
import { getCorpus } from '../../support/corpus.js';
import { runTool } from '../../support/run-tool.js';
import { createTestPki, type TestPki } from '../../support/test-pki.js';
import { assertAllValidAndTrusted, pdfsig } from '../../support/verifiers.js';

const ARTIFACTS = path.resolve('test/artifacts');

describe('stamp style ru-esign', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let dir: string;
  let input: string;

  before(async () => {
    const [p, corpus] = await Promise.all([createTestPki(), getCorpus()]);
    pki = p;
    input = corpus.good.find((f) => f.name === 'reportlab-classic.pdf')!.path;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ru-esign-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Text and span sizes of the last page as mupdf draws it (annotations included). */
  async function drawn(file: string, page: number): Promise<{ text: string; sizes: number[] }> {
    const txt = await runTool('mutool', ['draw', '-F', 'txt', '-o', '-', file, String(page)]);
    const stext = await runTool('mutool', ['draw', '-F', 'stext', '-o', '-', file, String(page)]);
    const sizes = [...stext.stdout.matchAll(/<font name="[^"]*DejaVu[^"]*" size="([\d.]+)"/g)].map((m) => Number(m[1]));
    return { text: txt.stdout, sizes };
  }

  for (const [lang, title, long] of [
    ['ru', ['ДОКУМЕНТ ПОДПИСАН', 'ЭЛЕКТРОННОЙ ПОДПИСЬЮ'], 'Константин Константинопольский-Щедрин Оглы'],
    ['en', ['DOCUMENT SIGNED WITH', 'AN ELECTRONIC SIGNATURE'], 'Maximilian Alexander von Hohenzollern-Sigmaringen'],
  ] as const) {
    it(`${lang}: frame title, serial, owner and validity, every line ≥ ${RU_ESIGN_MIN_FONT_SIZE} pt, valid signature`, async () => {
      const id = pki.identities.cyrillic;
      const out = path.join(dir, `ru-esign-${lang}.pdf`);
      await signPdfFile(input, out, {
        key: await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password),
        stampStyle: 'ru-esign',
        lang,
        name: long,
      });
      assertAllValidAndTrusted(await pdfsig(out, { nssDir: pki.nssDir }), 1);
      const { text, sizes } = await drawn(out, 3);
      const info = describeCertificate(id.certDer);
      const flat = text.replace(/\s+/g, ' ');
      for (const line of title) assert.ok(text.includes(line), text);
      assert.ok(flat.replace(/ /g, '').includes(info.serialNumber), `serial ${info.serialNumber} in ${text}`);
      assert.ok(flat.includes(long), text);
      const day = (d: Date) =>
        `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;
      const validity =
        lang === 'ru'
          ? `Действителен с ${day(info.notBefore)} по ${day(info.notAfter)}`
          : `Valid from ${day(info.notBefore)} to ${day(info.notAfter)}`;
      assert.ok(flat.includes(validity), `${validity} in ${text}`);
      assert.ok(sizes.length >= 5, `spans: ${sizes}`);
      for (const size of sizes) assert.ok(size >= RU_ESIGN_MIN_FONT_SIZE - 0.01, `a line is set at ${size} pt`);
      const render = await runTool('pdftoppm', [
        '-png',
        '-r',
        '110',
        '-f',
        '3',
        '-l',
        '3',
        '-singlefile',
        out,
        path.join(ARTIFACTS, `stamp-ru-esign-${lang}`),
      ]);
      assert.equal(render.exitCode, 0, render.stderr);
    });
  }
});
