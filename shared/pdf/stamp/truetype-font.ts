import { AppError } from '../../errors.js';
import { fontError } from './font-error.js';
import { type CodePointLookup, parseCmap } from './truetype-cmap.js';

/** A parsed TrueType (glyf-outline) font: the metrics a PDF font descriptor needs plus glyph access. */
export interface TrueTypeFont {
  /** Design units per em (head.unitsPerEm); all other metrics here are in these units. */
  readonly unitsPerEm: number;
  /** Typographic ascender (hhea.ascender). */
  readonly ascent: number;
  /** Typographic descender, negative below the baseline (hhea.descender). */
  readonly descent: number;
  /** Height of flat capitals: OS/2.sCapHeight, else the top of 'H', else the ascent. */
  readonly capHeight: number;
  /** Union of all glyph boxes [xMin, yMin, xMax, yMax] (head). */
  readonly bbox: readonly [number, number, number, number];
  /** Degrees counter-clockwise from vertical (post.italicAngle). */
  readonly italicAngle: number;
  /** PostScript name (name ID 6), reduced to characters that are legal in a PDF name. */
  readonly postScriptName: string;
  readonly isFixedPitch: boolean;
  /** OS/2 family class says serif (used for the PDF font flags). */
  readonly isSerif: boolean;
  /** OS/2.usWeightClass (400 = regular). */
  readonly weightClass: number;
  readonly numGlyphs: number;
  /** Raw tables by tag (views into the input bytes). */
  readonly tables: ReadonlyMap<string, Buffer>;
  /** Glyph id for a Unicode code point; 0 (.notdef) when the font has no glyph for it. */
  glyphId(codePoint: number): number;
  /** Advance width in font units; glyphs past the last hmtx entry share its width [OpenType hmtx]. */
  advanceWidth(gid: number): number;
  /** The glyph's outline record from 'glyf' (empty for glyphs without outline, e.g. space). */
  glyphData(gid: number): Buffer;
}

const SFNT_TRUETYPE = 0x00010000;
const SFNT_APPLE_TRUE = 0x74727565; // 'true'
const SFNT_OTTO = 0x4f54544f; // 'OTTO'
const SFNT_COLLECTION = 0x74746366; // 'ttcf'
const HEAD_MAGIC = 0x5f0f3cf5;
const REQUIRED_TABLES = ['head', 'hhea', 'maxp', 'hmtx', 'cmap', 'loca', 'glyf'];

/**
 * Parses a TrueType font file. Rejects CFF-flavoured OpenType ('OTTO'), collections and anything whose table
 * directory or required tables do not fit in the data; every read later done by the returned object is
 * inside bounds checked here.
 */
export function parseTrueType(bytes: Buffer): TrueTypeFont {
  try {
    return readFont(bytes);
  } catch (error) {
    // Buffer reads past the end throw RangeError; report them as a damaged font, not as a crash.
    if (error instanceof AppError) throw error;
    throw fontError(`the font data is truncated or corrupt (${(error as Error).message})`);
  }
}

function readFont(bytes: Buffer): TrueTypeFont {
  const tables = readTableDirectory(bytes);
  const t = (tag: string): Buffer => tables.get(tag) as Buffer;
  const head = t('head');
  if (head.length < 54 || head.readUInt32BE(12) !== HEAD_MAGIC) throw fontError("the 'head' table is invalid");
  const unitsPerEm = head.readUInt16BE(18);
  if (unitsPerEm < 16 || unitsPerEm > 16384) throw fontError(`unitsPerEm ${unitsPerEm} is out of range`);
  const locaFormat = head.readInt16BE(50);
  const numGlyphs = t('maxp').readUInt16BE(4);
  const numHMetrics = t('hhea').readUInt16BE(34);
  if (numHMetrics === 0 || numHMetrics > numGlyphs || t('hmtx').length < numHMetrics * 4) {
    throw fontError("the 'hmtx' table does not match hhea.numberOfHMetrics");
  }
  const loca = readLoca(t('loca'), locaFormat, numGlyphs, t('glyf').length);
  const cmap: CodePointLookup = parseCmap(t('cmap'));
  const post = tables.get('post');
  const os2 = tables.get('OS/2');
  const hmtx = t('hmtx');
  const glyf = t('glyf');

  const font: TrueTypeFont = {
    unitsPerEm,
    ascent: t('hhea').readInt16BE(4),
    descent: t('hhea').readInt16BE(6),
    capHeight: 0,
    bbox: [head.readInt16BE(36), head.readInt16BE(38), head.readInt16BE(40), head.readInt16BE(42)],
    // post.italicAngle is a 16.16 fixed-point number [OpenType post].
    italicAngle: post && post.length >= 16 ? post.readInt16BE(4) + post.readUInt16BE(6) / 65536 : 0,
    postScriptName: readPostScriptName(tables.get('name')),
    isFixedPitch: post !== undefined && post.length >= 16 && post.readUInt32BE(12) !== 0,
    // sFamilyClass high byte 1..7 are the serif classes, 8 is sans serif [OpenType OS/2 §sFamilyClass].
    isSerif: os2 !== undefined && os2.length >= 32 && os2[30] >= 1 && os2[30] <= 7,
    weightClass: os2 !== undefined && os2.length >= 6 ? os2.readUInt16BE(4) : 400,
    numGlyphs,
    tables,
    glyphId: (codePoint) => {
      const gid = cmap(codePoint);
      return gid < numGlyphs ? gid : 0;
    },
    advanceWidth: (gid) => hmtx.readUInt16BE(Math.max(0, Math.min(gid, numHMetrics - 1)) * 4),
    glyphData: (gid) => (gid >= 0 && gid < numGlyphs ? glyf.subarray(loca[gid], loca[gid + 1]) : glyf.subarray(0, 0)),
  };
  return { ...font, capHeight: readCapHeight(os2, font) };
}

function readTableDirectory(bytes: Buffer): Map<string, Buffer> {
  if (bytes.length < 12) throw fontError('the data is too short to be a font');
  const version = bytes.readUInt32BE(0);
  if (version === SFNT_OTTO) {
    throw fontError('CFF-based OpenType fonts (OTTO) are not supported; use a TrueType font with glyf outlines');
  }
  if (version === SFNT_COLLECTION) throw fontError('font collections (.ttc) are not supported; use a single .ttf');
  if (version !== SFNT_TRUETYPE && version !== SFNT_APPLE_TRUE) throw fontError('the data is not a TrueType font');
  const numTables = bytes.readUInt16BE(4);
  if (12 + numTables * 16 > bytes.length) throw fontError('the table directory runs past the end of the data');
  const tables = new Map<string, Buffer>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + i * 16;
    const tag = bytes.toString('latin1', rec, rec + 4);
    const offset = bytes.readUInt32BE(rec + 8);
    const length = bytes.readUInt32BE(rec + 12);
    if (offset + length > bytes.length) throw fontError(`table '${tag}' lies outside the data`);
    tables.set(tag, bytes.subarray(offset, offset + length));
  }
  for (const tag of REQUIRED_TABLES) {
    if (!tables.has(tag)) throw fontError(`the required table '${tag}' is missing`);
  }
  return tables;
}

/** Reads 'loca' into absolute glyf offsets (numGlyphs + 1 entries), checking order and bounds. */
function readLoca(loca: Buffer, format: number, numGlyphs: number, glyfLength: number): Uint32Array {
  if (format !== 0 && format !== 1) throw fontError(`head.indexToLocFormat ${format} is invalid`);
  const size = format === 0 ? 2 : 4;
  if (loca.length < (numGlyphs + 1) * size) throw fontError("the 'loca' table is shorter than maxp.numGlyphs");
  const offsets = new Uint32Array(numGlyphs + 1);
  const view = new DataView(loca.buffer, loca.byteOffset, loca.length); // fast before the JIT warms up
  for (let i = 0; i <= numGlyphs; i++) {
    // The short format stores offset / 2 [OpenType loca].
    offsets[i] = format === 0 ? view.getUint16(i * 2) * 2 : view.getUint32(i * 4);
    if (offsets[i] > glyfLength || (i > 0 && offsets[i] < offsets[i - 1])) {
      throw fontError(`'loca' entry ${i} is out of order or outside 'glyf'`);
    }
  }
  return offsets;
}

function readCapHeight(os2: Buffer | undefined, font: TrueTypeFont): number {
  // sCapHeight exists from OS/2 version 2 on [OpenType OS/2].
  if (os2 !== undefined && os2.length >= 90 && os2.readUInt16BE(0) >= 2 && os2.readInt16BE(88) > 0) {
    return os2.readInt16BE(88);
  }
  const glyph = font.glyphData(font.glyphId(0x48)); // 'H': yMax of a flat capital
  return glyph.length >= 10 ? glyph.readInt16BE(8) : font.ascent;
}

/** Name ID 6 from the Windows (UTF-16BE) or Macintosh (Roman) record, made safe for a PDF name. */
function readPostScriptName(name: Buffer | undefined): string {
  if (name === undefined || name.length < 6) return 'Font';
  const count = name.readUInt16BE(2);
  const storage = name.readUInt16BE(4);
  let found: string | undefined;
  for (let i = 0; i < count && 6 + (i + 1) * 12 <= name.length; i++) {
    const rec = 6 + i * 12;
    if (name.readUInt16BE(rec + 6) !== 6) continue;
    const platform = name.readUInt16BE(rec);
    const start = storage + name.readUInt16BE(rec + 10);
    const end = start + name.readUInt16BE(rec + 8);
    if (end > name.length) continue;
    if (platform === 3 || platform === 0) found = utf16be(name.subarray(start, end));
    else if (platform === 1 && found === undefined) found = name.toString('latin1', start, end);
    if (platform === 3) break;
  }
  // PostScript names are printable ASCII without PDF delimiters [PDF 32000 §7.3.5, OpenType name ID 6].
  const clean = (found ?? '').replace(/[^\x21-\x7e]|[[\](){}<>/%#]/g, '').slice(0, 63);
  return clean === '' ? 'Font' : clean;
}

function utf16be(bytes: Buffer): string {
  // Copy before swapping: swap16() works in place and the input belongs to the caller.
  const copy = Buffer.from(bytes.subarray(0, bytes.length & ~1));
  return copy.swap16().toString('utf16le');
}
