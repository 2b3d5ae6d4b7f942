/**
 * The stamp people can read: on A5, A4, A3 and Letter pages, upright, rotated by 90/180/270, landscape and with
 * an offset CropBox, at all six positions, in both styles and both languages, signed by a 60-character Cyrillic
 * name whose certificate has a 90-character issuer:
 * - every character is drawn at 7 pt or more at 100 % zoom (MuPDF's size as drawn on the page: Tf × text matrix ×
 *   cm × the appearance form's /Matrix);
 * - the stamp's rendered pixels (pdftoppm at 72 dpi, the visible CropBox) keep 10 mm from every page edge and
 *   stay in the requested sixth;
 * - nothing is clipped or cut: every drawn character lies inside the rendered box, and the whole name, the whole
 *   issuer (default style) and the signing time with its offset are there;
 * - pdfsig, qpdf and mutool find every signature intact.
 * Each (style, language, position) signs all pages of one document in turn, so one document carries one stamp
 * per page. Screenshots of the A4 stamp at 100 % zoom (96 dpi) go to test/artifacts/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SigningKey } from '../../../shared/crypto/signing-key.js';
import { type SignPdfOptions, signPdfBuffer } from '../../../shared/pdf/sign-pdf.js';
import { MIN_FONT_SIZE } from '../../../shared/pdf/stamp/stamp-layout.js';
import { STAMP_POSITIONS, type StampPosition } from '../../../shared/pdf/stamp/stamp-placement.js';
import { runTool } from '../../support/run-tool.js';
import { diffBox, type GrayImage, type PixelBox } from '../../support/verifiers.js';
import { LONG_ISSUER, LONG_NAME, longNameSigner } from './long-name-identity.js';
import { pagesPdf, type TestPage } from './minimal-pdf.js';
import { assertSignaturesIntact, type DrawnChar, drawnText, renderPages, squeezed } from './stamp-measure.js';

const ARTIFACTS = path.resolve('test/artifacts');
/** One pixel per point, so drawn characters (points) and rendered pixels share coordinates. */
const DPI = 72;
const MIN_MARGIN_MM = 10;
const SIZES: Record<string, [number, number]> = { A5: [420, 595], A4: [595, 842], A3: [842, 1191], Letter: [612, 792] };
const PAGES: TestPage[] = [
  ...Object.entries(SIZES).flatMap(([name, [w, h]]) =>
    ([0, 90, 180, 270] as const).map(
      (rotate): TestPage => ({ label: `${name} /Rotate ${rotate}`, mediaBox: [0, 0, w, h], rotate }),
    ),
  ),
  { label: 'A4 landscape', mediaBox: [0, 0, 842, 595] },
  {
    label: 'A3 media, A4 CropBox, /Rotate 90',
    mediaBox: [0, 0, 842, 1191],
    cropBox: [120, 200, 715, 1042],
    rotate: 90,
  },
  {
    label: 'offset media, A5 CropBox, /Rotate 270',
    mediaBox: [-30, -40, 565, 802],
    cropBox: [60, 100, 480, 695],
    rotate: 270,
  },
] satisfies TestPage[];
/** The A4 upright page, for the screenshots. */
const A4_PAGE = PAGES.findIndex((p) => p.label === 'A4 /Rotate 0') + 1;
const STYLES = [
  ['default', 'ru'],
  ['default', 'en'],
  ['ru-esign', 'ru'],
  ['ru-esign', 'en'],
] as const;

const mm = (px: number): number => (px * 25.4) / DPI;

/** What is wrong with the stamp on one page: its box, margin, sixth, type sizes and text. */
function pageProblems(
  label: string,
  position: StampPosition,
  unsigned: GrayImage,
  signed: GrayImage,
  chars: DrawnChar[],
  expected: string[],
): string[] {
  const box = diffBox(unsigned, signed);
  if (!box) return [`${label}: no stamp drawn`];
  const problems: string[] = [];
  const where = `${label} ${position} ${JSON.stringify(box)} in ${signed.width}x${signed.height}`;
  const margin = Math.min(box.x0, box.y0, signed.width - 1 - box.x1, signed.height - 1 - box.y1);
  if (mm(margin) < MIN_MARGIN_MM) problems.push(`${where}: ${mm(margin).toFixed(1)} mm from the edge`);
  if (!inSixth(box, position, signed)) problems.push(`${where}: outside its sixth`);
  const stamp = chars.filter((ch) => ch.font.includes('DejaVu'));
  const small = [...new Set(stamp.filter((ch) => ch.size < MIN_FONT_SIZE - 0.01).map((ch) => ch.size))];
  if (small.length > 0) problems.push(`${where}: text at ${small.join(', ')} pt`);
  const outside = stamp.filter(
    (ch) => ch.x0 < box.x0 - 0.5 || ch.y0 < box.y0 - 0.5 || ch.x1 > box.x1 + 1.5 || ch.y1 > box.y1 + 1.5,
  );
  if (outside.length > 0) problems.push(`${where}: "${outside.map((ch) => ch.c).join('')}" drawn outside the box`);
  const text = squeezed(stamp);
  for (const want of expected) if (!text.includes(squeezed(want))) problems.push(`${where}: "${want}" missing`);
  return problems;
}

function inSixth(box: PixelBox, position: StampPosition, page: GrayImage): boolean {
  const [v, h] = position.split('-');
  const col = h === 'left' ? 0 : h === 'center' ? 1 : 2;
  const row = v === 'top' ? 0 : 1;
  const cw = page.width / 3;
  const rh = page.height / 2;
  return (
    box.x0 >= col * cw - 1 && box.x1 <= (col + 1) * cw + 1 && box.y0 >= row * rh - 1 && box.y1 <= (row + 1) * rh + 1
  );
}

describe('stamp legibility: 7 pt, 10 mm from the edge, long names fitted', function () {
  this.timeout(600_000);
  let key: SigningKey;
  let dir: string;
  let input: Buffer;
  let unsigned: GrayImage[];
  // Whole minutes, an hour ago: the stamp shows no seconds, and the certificate is valid then.
  const signingTime = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);
  // Asia/Vladivostok is UTC+10 all year (no daylight saving since 2011).
  const local = new Date(signingTime.getTime() + 10 * 3_600_000);
  const hhmm = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;

  before(async () => {
    key = await longNameSigner();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stamp-legibility-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    input = pagesPdf(PAGES);
    fs.writeFileSync(path.join(dir, 'unsigned.pdf'), input);
    unsigned = await renderPages(path.join(dir, 'unsigned.pdf'), DPI);
    assert.equal(unsigned.length, PAGES.length);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [style, lang] of STYLES) {
    for (const position of STAMP_POSITIONS) {
      it(`${style} ${lang} ${position}: ≥ ${MIN_FONT_SIZE} pt, ≥ ${MIN_MARGIN_MM} mm, in its sixth, nothing cut, on ${PAGES.length} page shapes`, async () => {
        const options: Omit<SignPdfOptions, 'page'> = {
          key,
          position,
          stampStyle: style,
          lang,
          timeZone: 'Asia/Vladivostok',
          signingTime,
          reason: lang === 'ru' ? 'Согласовано юридическим отделом' : 'Approved by the legal department',
        };
        let bytes = input;
        for (let page = 1; page <= PAGES.length; page++) {
          const signed = await signPdfBuffer(bytes, { ...options, page });
          assert.equal(signed.result.timeZone, 'Asia/Vladivostok');
          bytes = signed.bytes;
        }
        const file = path.join(dir, `${style}-${lang}-${position}.pdf`);
        fs.writeFileSync(file, bytes);
        await assertSignaturesIntact(file, PAGES.length);
        const [renders, text] = await Promise.all([renderPages(file, DPI), drawnText(file)]);
        const expected = [LONG_NAME, `${hhmm} +10:00`, ...(style === 'default' ? [LONG_ISSUER] : [])];
        const problems = PAGES.flatMap((page, i) =>
          pageProblems(page.label, position, unsigned[i]!, renders[i]!, text[i]!, expected),
        );
        assert.deepEqual(problems, []);
        if (position === 'bottom-right') await screenshot(file, `stamp-${style}-${lang}`, renders[A4_PAGE - 1]!);
      });
    }
  }

  it('below A6 (A7, a business card) the name and the time stay whole and the stamp stays in its sixth, scaled', async () => {
    const small: TestPage[] = [
      { label: 'A7', mediaBox: [0, 0, 210, 298] },
      { label: 'business card', mediaBox: [0, 0, 241, 156], rotate: 90 },
    ];
    const smallInput = pagesPdf(small);
    const file = path.join(dir, 'small.pdf');
    fs.writeFileSync(file, smallInput);
    const before = await renderPages(file, DPI);
    for (const [style, lang] of STYLES) {
      let bytes = smallInput;
      for (let page = 1; page <= small.length; page++) {
        bytes = (
          await signPdfBuffer(bytes, { key, page, stampStyle: style, lang, signingTime, timeZone: 'Asia/Vladivostok' })
        ).bytes;
      }
      fs.writeFileSync(file, bytes);
      await assertSignaturesIntact(file, small.length);
      const [renders, text] = await Promise.all([renderPages(file, DPI), drawnText(file)]);
      small.forEach((page, i) => {
        const box = diffBox(before[i]!, renders[i]!);
        assert.ok(
          box && inSixth(box, 'bottom-right', renders[i]!),
          `${style} ${lang} ${page.label}: ${JSON.stringify(box)}`,
        );
        const drawn = squeezed(text[i]!.filter((ch) => ch.font.includes('DejaVu')));
        for (const want of [LONG_NAME, `${hhmm} +10:00`])
          assert.ok(drawn.includes(squeezed(want)), `${want} in ${drawn}`);
      });
    }
  });

  /** The A4 page and its stamp at 100 % zoom on a 96-dpi screen, for people to look at. */
  async function screenshot(file: string, name: string, render: GrayImage): Promise<void> {
    const box = diffBox(unsigned[A4_PAGE - 1]!, render)!;
    const scale = 96 / DPI;
    const pad = 12;
    const crop = [
      ['-x', Math.floor(box.x0 * scale) - pad],
      ['-y', Math.floor(box.y0 * scale) - pad],
      ['-W', Math.ceil((box.x1 - box.x0 + 1) * scale) + 2 * pad],
      ['-H', Math.ceil((box.y1 - box.y0 + 1) * scale) + 2 * pad],
    ].flatMap(([flag, value]) => [String(flag), String(value)]);
    const page = ['-f', String(A4_PAGE), '-l', String(A4_PAGE), '-cropbox', '-singlefile', '-png', '-r', '96'];
    for (const [args, out] of [
      [crop, `${name}-100pct`],
      [[], `${name}-page`],
    ] as const) {
      const run = await runTool('pdftoppm', [...page, ...args, file, path.join(ARTIFACTS, out)]);
      assert.equal(run.exitCode, 0, run.stderr);
    }
  }
});
