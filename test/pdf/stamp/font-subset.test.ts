import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { FontSubset, type SubsetResult } from '../../../shared/pdf/stamp/font-subset.js';
import { parseTrueType } from '../../../shared/pdf/stamp/truetype-font.js';
import { buildPdf, onePage } from './minimal-pdf.js';
import { runTool, runToolOk } from './run-tool.js';
import { checkSfntStructure, compositeComponents } from './sfnt-check.js';

const FONT_FILE = new URL('../../../../node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf', import.meta.url);
const NAME_LINE = 'Мария Иванова — Mary Smith 2026-11-27 12:00 +03:00';
// Ё, й, ö and é are composite glyphs in DejaVu Sans: their components must travel with them.
const COMPOSITE_LINE = 'Семён Йошкин-Олаев, Åström, Café';
const FONT_SIZE = 16;
const X = 20;

/** A one-page PDF drawing `lines` with a Type0/Identity-H font over a CIDFontType2, built by hand. */
function textPdf(fontFile: Buffer, subset: SubsetResult, baseFont: string, hexLines: string[]): Buffer {
  const shown = hexLines.map((hex, i) => `${i === 0 ? '' : '0 -40 Td '}<${hex}> Tj`);
  const content = ['BT', `/F1 ${FONT_SIZE} Tf`, `${X} 150 Td`, ...shown, 'ET'];
  return buildPdf([
    ...onePage(600, 200, '<< /Font << /F1 5 0 R >> >>', content.join('\n')),
    `<< /Type /Font /Subtype /Type0 /BaseFont /${baseFont} /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 8 0 R >>`,
    `<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${baseFont} ` +
      '/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> ' +
      `/FontDescriptor 7 0 R /W [${subset.widths.join(' ')}] /CIDToGIDMap /Identity >>`,
    `<< /Type /FontDescriptor /FontName /${baseFont} /Flags ${subset.flags} /FontBBox [${subset.bbox.join(' ')}] ` +
      `/ItalicAngle ${subset.italicAngle} /Ascent ${subset.ascent} /Descent ${subset.descent} ` +
      `/CapHeight ${subset.capHeight} /StemV ${subset.stemV} /FontFile2 9 0 R >>`,
    { dict: '/Filter /FlateDecode', data: zlib.deflateSync(subset.toUnicode) },
    { dict: `/Filter /FlateDecode /Length1 ${fontFile.length}`, data: zlib.deflateSync(fontFile) },
  ]);
}

/** Pixel difference between two renderings and the ink in the first, measured by PIL. */
function compareRenderings(a: string, b: string): { differing: string; ink: number } {
  const script = [
    'import sys, json',
    'from PIL import Image, ImageChops',
    "a, b = (Image.open(p).convert('RGB') for p in sys.argv[1:3])",
    "ink = sum(1 for v in a.convert('L').getdata() if v < 128)",
    'print(json.dumps({"differing": str(ImageChops.difference(a, b).getbbox()), "ink": ink}))',
  ].join('\n');
  return JSON.parse(runToolOk('/usr/bin/python3', ['-c', script, a, b]).stdout);
}

describe('FontSubset', () => {
  const fontBytes = fs.readFileSync(FONT_FILE);
  const font = parseTrueType(fontBytes);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'font-subset-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('encodes text as 4-hex-digit glyph ids and maps unknown characters to .notdef', () => {
    const subset = new FontSubset(font);
    const gid = (char: string) => font.glyphId(char.codePointAt(0) as number);
    assert.equal(
      subset.encode('AЯ'),
      [gid('A'), gid('Я')].map((g) => g.toString(16).padStart(4, '0').toUpperCase()).join(''),
    );
    assert.equal(subset.encode('中'), '0000');
    const toUnicode = subset.build().toUnicode.toString('latin1');
    assert.match(toUnicode, new RegExp(`<${gid('Я').toString(16).padStart(4, '0').toUpperCase()}> <042F>`));
    const bfchar = toUnicode.slice(toUnicode.indexOf('beginbfchar'), toUnicode.lastIndexOf('endbfchar'));
    assert.doesNotMatch(bfchar, /<0000>/, '.notdef has no text');
  });

  it('maps supplementary-plane characters to UTF-16 surrogate pairs in ToUnicode', () => {
    const subset = new FontSubset(font);
    assert.notEqual(subset.encode('😀'), '0000');
    assert.match(subset.build().toUnicode.toString('latin1'), /<[0-9A-F]{4}> <D83DDE00>/);
  });

  it('measures text with the same rounded widths it writes to /W', () => {
    const subset = new FontSubset(font);
    const width1000 = (char: string) =>
      Math.round((font.advanceWidth(font.glyphId(char.codePointAt(0) as number)) * 1000) / font.unitsPerEm);
    assert.equal(subset.widthOf('AЯ', 10), ((width1000('A') + width1000('Я')) * 10) / 1000);
    subset.encode('AAЯ');
    const w = subset.build().widths;
    assert.equal(w.length % 3, 0, 'c_first c_last w triples');
    const widths = new Map<number, number>();
    for (let i = 0; i < w.length; i += 3) for (let g = w[i]; g <= w[i + 1]; g++) widths.set(g, w[i + 2]);
    assert.deepEqual(
      [...widths],
      [0x0, 0x41, 0x42f].map((cp) => [font.glyphId(cp), width1000(String.fromCodePoint(cp))]),
      '/W lists .notdef and each used glyph once, with its width',
    );
  });

  it('builds a small subset that passes a structural check and keeps every used glyph intact', () => {
    const subset = new FontSubset(font);
    subset.encode(NAME_LINE);
    const result = subset.build();
    assert.ok(result.fontFile.length < 40 * 1024, `subset is ${result.fontFile.length} bytes`);
    assert.match(result.postScriptName, /^[A-Z]{6}\+DejaVuSans$/);
    assert.equal(result.postScriptName, subset.build().postScriptName, 'same glyphs, same tag');
    const checked = checkSfntStructure(result.fontFile);
    for (const tag of ['cvt ', 'fpgm', 'prep']) assert.ok(checked.tables.has(tag), `${tag} kept for hinting`);
    assert.equal(checked.tables.get('post')?.readUInt32BE(0), 0x00030000, 'post format 3');
    // Used glyphs and, recursively, their components (Cyrillic о is drawn as a reference to Latin o).
    const used = new Set<number>();
    const todo = [0, ...[...NAME_LINE].map((c) => font.glyphId(c.codePointAt(0) as number))];
    for (let g = todo.pop(); g !== undefined; g = todo.pop()) {
      if (!used.has(g)) todo.push(...compositeComponents(font.glyphData(g)));
      used.add(g);
    }
    assert.ok(used.size > new Set(NAME_LINE).size + 1, 'the line has composite glyphs');
    for (let gid = 0; gid < checked.numGlyphs; gid++) {
      const expected = used.has(gid) ? font.glyphData(gid) : Buffer.alloc(0);
      assert.ok(checked.glyph(gid).subarray(0, expected.length).equals(expected), `glyph ${gid}`);
      if (!used.has(gid)) assert.equal(checked.glyph(gid).length, 0, `unused glyph ${gid} is empty`);
    }
  });

  it('keeps the components of composite glyphs', () => {
    const subset = new FontSubset(font);
    subset.encode(COMPOSITE_LINE);
    const checked = checkSfntStructure(subset.build().fontFile);
    let composites = 0;
    for (const char of COMPOSITE_LINE) {
      const components = compositeComponents(checked.glyph(font.glyphId(char.codePointAt(0) as number)));
      if (components.length > 0) composites++;
      for (const gid of components) assert.ok(checked.glyph(gid).length > 0, `component ${gid} of ${char} kept`);
    }
    assert.ok(composites >= 4, 'the line really contains composite glyphs');
  });

  it('embeds in a PDF that pdffonts, pdftotext, mutool and qpdf accept, drawing like the full font', () => {
    const subset = new FontSubset(font);
    const lines = [subset.encode(NAME_LINE), subset.encode(COMPOSITE_LINE)];
    const result = subset.build();
    const subsetPdf = path.join(dir, 'subset.pdf');
    const fullPdf = path.join(dir, 'full.pdf');
    fs.writeFileSync(subsetPdf, textPdf(result.fontFile, result, result.postScriptName, lines));
    fs.writeFileSync(fullPdf, textPdf(fontBytes, result, 'DejaVuSans', lines));

    const fonts = runToolOk('pdffonts', [subsetPdf]).stdout;
    const row = new RegExp(
      `^${result.postScriptName.replace('+', '\\+')}\\s+CID TrueType\\s+Identity-H\\s+yes\\s+yes\\s+yes`,
      'm',
    );
    assert.match(fonts, row, fonts);

    const text = runToolOk('pdftotext', ['-enc', 'UTF-8', subsetPdf, '-']).stdout;
    assert.ok(text.includes(NAME_LINE), text);
    assert.ok(text.includes(COMPOSITE_LINE), text);

    const qpdf = runTool('qpdf', ['--check', subsetPdf]);
    assert.equal(qpdf.status, 0, qpdf.stdout + qpdf.stderr);

    for (const [pdf, png] of [
      [subsetPdf, 'subset.png'],
      [fullPdf, 'full.png'],
    ]) {
      // -q drops the progress lines, -N the "ICC support is not available" notice Debian's build prints for
      // every file; anything left on stderr is about our PDF.
      const draw = runTool('mutool', ['draw', '-q', '-N', '-o', path.join(dir, png), pdf]);
      assert.equal(draw.status, 0, draw.stderr);
      assert.equal(draw.stderr.trim(), '', 'mutool draw prints no warnings');
    }
    const mupdf = compareRenderings(path.join(dir, 'subset.png'), path.join(dir, 'full.png'));
    assert.ok(mupdf.ink > 1000, 'the text is drawn');
    assert.equal(mupdf.differing, 'None', 'subset draws exactly like the full font (MuPDF)');

    runToolOk('pdftoppm', ['-png', '-r', '96', '-singlefile', subsetPdf, path.join(dir, 'subset-poppler')]);
    runToolOk('pdftoppm', ['-png', '-r', '96', '-singlefile', fullPdf, path.join(dir, 'full-poppler')]);
    const poppler = compareRenderings(path.join(dir, 'subset-poppler.png'), path.join(dir, 'full-poppler.png'));
    assert.equal(poppler.differing, 'None', 'subset draws exactly like the full font (poppler)');
  });

  it('places the text as wide as widthOf says (pdftotext word boxes)', () => {
    const subset = new FontSubset(font);
    const pdfPath = path.join(dir, 'width.pdf');
    const hex = subset.encode(NAME_LINE);
    const result = subset.build();
    fs.writeFileSync(pdfPath, textPdf(result.fontFile, result, result.postScriptName, [hex]));
    const html = runToolOk('pdftotext', ['-bbox', pdfPath, '-']).stdout;
    const xMax = Math.max(...[...html.matchAll(/xMax="([\d.]+)"/g)].map((m) => Number(m[1])));
    const expected = X + subset.widthOf(NAME_LINE, FONT_SIZE);
    assert.ok(Math.abs(xMax - expected) < 0.5, `text ends at ${xMax}, widthOf says ${expected}`);
  });
});
