import assert from 'node:assert/strict';
import fs from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { AppError, ErrorCode } from '../../../shared/errors.js';
import { parseTrueType } from '../../../shared/pdf/stamp/truetype-font.js';

// Tests run from dist/test/pdf/stamp; the fonts come from the dejavu-fonts-ttf package in the repository.
const FONT_DIR = new URL('../../../../node_modules/dejavu-fonts-ttf/ttf/', import.meta.url);
const readFont = (name: string) => fs.readFileSync(new URL(name, FONT_DIR));

function assertFontError(bytes: Buffer, reason: RegExp): void {
  assert.throws(
    () => parseTrueType(bytes),
    (error: unknown) => error instanceof AppError && error.code === ErrorCode.INTERNAL && reason.test(error.message),
  );
}

describe('parseTrueType', () => {
  const sans = readFont('DejaVuSans.ttf');
  const font = parseTrueType(sans);
  // fontkit is an independent, widely used implementation to compare against (tests only; too slow to load
  // in the CLI).
  const reference = fontkit.create(sans);

  it('reads the metrics a PDF font descriptor needs', () => {
    assert.equal(font.unitsPerEm, 2048);
    assert.equal(font.postScriptName, 'DejaVuSans');
    assert.equal(font.ascent, reference.ascent);
    assert.equal(font.descent, reference.descent);
    assert.equal(font.capHeight, reference.glyphForCodePoint(0x48).bbox.maxY, "OS/2 v1 font: top of 'H'");
    const { minX, minY, maxX, maxY } = reference.bbox;
    assert.deepEqual(font.bbox, [minX, minY, maxX, maxY]);
    assert.equal(font.italicAngle, 0);
    assert.equal(font.isFixedPitch, false);
    assert.equal(font.numGlyphs, reference.numGlyphs);
  });

  it('maps Latin and Cyrillic letters to glyphs', () => {
    for (const char of ['A', 'Я', 'ё']) assert.notEqual(font.glyphId(char.codePointAt(0) as number), 0, char);
  });

  it('agrees with fontkit on glyph ids for the BMP and beyond (cmap formats 4 and 12)', () => {
    const codePoints = [
      ...range(0, 0x3000),
      ...range(0xfb00, 0x10000),
      ...range(0x1d400, 0x1d800),
      ...range(0x1f600, 0x1f650),
    ];
    let mapped = 0;
    for (const cp of codePoints) {
      const expected = reference.glyphForCodePoint(cp).id;
      assert.equal(font.glyphId(cp), expected, `U+${cp.toString(16)}`);
      if (cp > 0xffff && expected !== 0) mapped++;
    }
    assert.ok(mapped > 0, 'some supplementary-plane code points are mapped (format 12 read)');
    assert.equal(font.glyphId(0x4e2d), 0, 'CJK is not in DejaVu Sans: .notdef');
    assert.equal(font.glyphId(0x110000), 0, 'beyond Unicode');
  });

  it('agrees with fontkit on every advance width, including the hmtx last-entry rule', () => {
    for (const name of ['DejaVuSans.ttf', 'DejaVuSansMono.ttf']) {
      const bytes = readFont(name);
      const parsed = parseTrueType(bytes);
      const other = fontkit.create(bytes);
      const numHMetrics = parsed.tables.get('hhea')?.readUInt16BE(34) ?? 0;
      assert.ok(numHMetrics < parsed.numGlyphs, `${name} has glyphs past the last hmtx entry`);
      for (let gid = 0; gid < parsed.numGlyphs; gid++) {
        assert.equal(parsed.advanceWidth(gid), other.getGlyph(gid).advanceWidth, `${name} glyph ${gid}`);
      }
    }
  });

  it('reads fixed pitch and italic angle from post', () => {
    assert.equal(parseTrueType(readFont('DejaVuSansMono.ttf')).isFixedPitch, true);
    assert.equal(parseTrueType(readFont('DejaVuSans-Oblique.ttf')).italicAngle, -11);
  });

  it('rejects CFF OpenType, collections, truncated and non-font data with a clear error', () => {
    const withVersion = (tag: string) => Buffer.concat([Buffer.from(tag, 'latin1'), sans.subarray(4)]);
    assertFontError(withVersion('OTTO'), /CFF-based OpenType fonts \(OTTO\) are not supported/);
    assertFontError(withVersion('ttcf'), /font collections \(\.ttc\) are not supported/);
    assertFontError(sans.subarray(0, 4000), /table '.*' lies outside the data/);
    assertFontError(Buffer.from('definitely not a font'), /not a TrueType font/);
    assertFontError(sans.subarray(0, 8), /too short/);
    const manyTables = Buffer.from(sans);
    manyTables.writeUInt16BE(0xffff, 4); // 1 MB of directory in a 740 KB file
    assertFontError(manyTables, /table directory runs past the end/);
  });

  it('does not modify the caller’s bytes', () => {
    const copy = Buffer.from(sans);
    parseTrueType(copy);
    assert.ok(copy.equals(sans));
  });
});

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}
