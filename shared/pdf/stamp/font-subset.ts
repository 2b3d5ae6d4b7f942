import { fontError } from './font-error.js';
import { writeSfnt } from './sfnt-writer.js';
import { hex4, toUnicodeCMap } from './to-unicode-cmap.js';
import type { TrueTypeFont } from './truetype-font.js';

/** What the PDF objects of an embedded Type0/CIDFontType2 font need. Metrics are in 1000-unit glyph space. */
export interface SubsetResult {
  /** A TrueType file with only the used glyphs, for the /FontFile2 stream (set /Length1 to its length). */
  fontFile: Buffer;
  /**
   * The CIDFont /W array as flat numbers in the `c_first c_last w` form [PDF 32000 §9.7.4.3], runs of equal
   * widths merged; write it as `[${widths.join(' ')}]`.
   */
  widths: number[];
  /** ToUnicode CMap stream body: each used glyph id → its UTF-16BE text. */
  toUnicode: Buffer;
  /** BaseFont / FontName with the 6-letter subset tag, e.g. ABCDEF+DejaVuSans [PDF 32000 §9.6.4]. */
  postScriptName: string;
  /** FontDescriptor /Flags [PDF 32000 §9.8.2]. */
  flags: number;
  bbox: [number, number, number, number];
  italicAngle: number;
  ascent: number;
  descent: number;
  capHeight: number;
  stemV: number;
}

// Font descriptor flag bits [PDF 32000 §9.8.2, Table 123].
const FLAG_FIXED_PITCH = 1;
const FLAG_SERIF = 1 << 1;
const FLAG_SYMBOLIC = 1 << 2;
const FLAG_ITALIC = 1 << 6;

/**
 * Collects the glyphs a stamp draws and builds a subset font for a Type0 font with /Encoding /Identity-H and
 * /CIDToGIDMap /Identity: glyph ids are kept, so the codes written by `encode` are valid in the subset.
 */
export class FontSubset {
  private readonly font: TrueTypeFont;
  /** Used glyph id → the text it stands for ('' for .notdef). */
  private readonly glyphText = new Map<number, string>([[0, '']]);

  constructor(font: TrueTypeFont) {
    this.font = font;
  }

  /** Hex string for `<...> Tj` (4 hex digits per glyph); adds the glyphs to the subset. Unknown chars → .notdef. */
  encode(text: string): string {
    let hex = '';
    for (const char of text) {
      const gid = this.font.glyphId(char.codePointAt(0) as number);
      // The first character seen for a glyph wins; ToUnicode can name only one text per code.
      if (!this.glyphText.has(gid)) this.glyphText.set(gid, gid === 0 ? '' : char);
      hex += hex4(gid);
    }
    return hex;
  }

  /** Width of `text` set at `size` in text space units, using the same rounded widths as /W. */
  widthOf(text: string, size: number): number {
    let total = 0;
    for (const char of text) total += this.width1000(this.font.glyphId(char.codePointAt(0) as number));
    return (total * size) / 1000;
  }

  /** Builds the subset font and the data for its PDF dictionaries from the glyphs encoded so far. */
  build(): SubsetResult {
    const font = this.font;
    const kept = withComponents(font, this.glyphText.keys());
    const scale = (v: number) => Math.round((v * 1000) / font.unitsPerEm);
    const gids = [...this.glyphText.keys()].sort((a, b) => a - b);
    return {
      fontFile: writeSfnt(subsetTables(font, kept)),
      widths: widthsArray(gids.map((gid) => [gid, this.width1000(gid)])),
      toUnicode: toUnicodeCMap(this.glyphText),
      postScriptName: `${subsetTag(gids)}+${font.postScriptName}`,
      flags:
        (font.isFixedPitch ? FLAG_FIXED_PITCH : 0) |
        (font.isSerif ? FLAG_SERIF : 0) |
        // Cyrillic is outside the Adobe standard Latin set, so the font is symbolic in PDF's sense.
        FLAG_SYMBOLIC |
        (font.italicAngle !== 0 ? FLAG_ITALIC : 0),
      bbox: [scale(font.bbox[0]), scale(font.bbox[1]), scale(font.bbox[2]), scale(font.bbox[3])],
      italicAngle: font.italicAngle,
      ascent: scale(font.ascent),
      descent: scale(font.descent),
      capHeight: scale(font.capHeight),
      // TrueType records no stem width; this is the usual estimate from the weight class. Readers use StemV
      // only to pick a substitute, which never happens for an embedded font.
      stemV: Math.round(50 + (font.weightClass / 65) ** 2),
    };
  }

  private width1000(gid: number): number {
    return Math.round((this.font.advanceWidth(gid) * 1000) / this.font.unitsPerEm);
  }
}

/** The glyphs plus, recursively, the components of composite glyphs [OpenType glyf §Composite glyphs]. */
function withComponents(font: TrueTypeFont, gids: Iterable<number>): Set<number> {
  const kept = new Set<number>();
  const todo = [...gids];
  for (let gid = todo.pop(); gid !== undefined; gid = todo.pop()) {
    if (kept.has(gid)) continue; // also stops malicious component cycles
    kept.add(gid);
    todo.push(...componentIds(font.glyphData(gid), gid));
  }
  return kept;
}

// Composite glyph flags [OpenType glyf, "Composite Glyph Flags"].
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

function componentIds(glyph: Buffer, gid: number): number[] {
  if (glyph.length < 10 || glyph.readInt16BE(0) >= 0) return []; // empty or simple glyph
  const ids: number[] = [];
  let pos = 10;
  let flags = MORE_COMPONENTS;
  while (flags & MORE_COMPONENTS) {
    if (pos + 4 > glyph.length) throw fontError(`composite glyph ${gid} is truncated`);
    flags = glyph.readUInt16BE(pos);
    ids.push(glyph.readUInt16BE(pos + 2));
    pos += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
    if (flags & WE_HAVE_A_SCALE) pos += 2;
    else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) pos += 4;
    else if (flags & WE_HAVE_A_TWO_BY_TWO) pos += 8;
  }
  return ids;
}

/**
 * The tables of the subset. Glyphs after the highest kept id are dropped (ids stay valid, the file gets much
 * smaller); unkept glyphs below it keep their metrics but become empty in a long-format 'loca'.
 */
function subsetTables(font: TrueTypeFont, kept: Set<number>): Map<string, Buffer> {
  const numGlyphs = Math.max(...kept) + 1;
  if (numGlyphs > font.numGlyphs) throw fontError('a composite glyph refers to a glyph id past maxp.numGlyphs');
  const { glyf, loca } = glyfAndLoca(font, kept, numGlyphs);
  const table = (tag: string) => font.tables.get(tag) as Buffer;
  const head = Buffer.from(table('head'));
  head.writeInt16BE(1, 50); // indexToLocFormat = 1: long offsets
  const maxp = Buffer.from(table('maxp'));
  maxp.writeUInt16BE(numGlyphs, 4);
  const hhea = Buffer.from(table('hhea'));
  const numHMetrics = Math.min(hhea.readUInt16BE(34), numGlyphs);
  hhea.writeUInt16BE(numHMetrics, 34);
  // hmtx = numHMetrics (advance, lsb) pairs then lsb-only entries: the subset's table is a prefix of the
  // original [OpenType hmtx].
  const hmtx = Buffer.from(table('hmtx').subarray(0, numHMetrics * 4 + (numGlyphs - numHMetrics) * 2));

  const tables = new Map<string, Buffer>([
    ['head', head],
    ['hhea', hhea],
    ['maxp', maxp],
    ['hmtx', hmtx],
    ['loca', loca],
    ['glyf', glyf],
    ['post', postFormat3(font.tables.get('post'))],
  ]);
  // Hinting programs and their control values are shared by all glyphs [OpenType "TrueType instructions"].
  for (const tag of ['cvt ', 'fpgm', 'prep']) {
    const data = font.tables.get(tag);
    if (data !== undefined) tables.set(tag, Buffer.from(data));
  }
  return tables;
}

/** Kept glyphs copied into a new 'glyf' (each 4-byte aligned), others empty; 'loca' in the long format. */
function glyfAndLoca(font: TrueTypeFont, kept: Set<number>, numGlyphs: number): { glyf: Buffer; loca: Buffer } {
  const offsets = new Uint32Array(numGlyphs + 1);
  for (let gid = 0; gid < numGlyphs; gid++) {
    const length = kept.has(gid) ? font.glyphData(gid).length : 0;
    offsets[gid + 1] = offsets[gid] + ((length + 3) & ~3); // 4-byte glyph alignment, as most tools write
  }
  const glyf = Buffer.alloc(offsets[numGlyphs]); // zero-filled: padding bytes are zeros
  for (const gid of kept) font.glyphData(gid).copy(glyf, offsets[gid]);
  const loca = Buffer.alloc((numGlyphs + 1) * 4);
  // DataView writes stay fast before the JIT warms up, which is all a one-shot CLI run gets.
  const view = new DataView(loca.buffer, loca.byteOffset, loca.length);
  for (let gid = 0; gid <= numGlyphs; gid++) view.setUint32(gid * 4, offsets[gid]);
  return { glyf, loca };
}

/** A 32-byte post table of format 3 (no glyph names), keeping the original italic angle and underline. */
function postFormat3(post: Buffer | undefined): Buffer {
  const out = Buffer.alloc(32);
  if (post !== undefined && post.length >= 32) post.copy(out, 0, 0, 32);
  out.writeUInt32BE(0x00030000, 0);
  return out;
}

/** Builds /W as `c_first c_last w` triples, merging consecutive glyph ids of equal width. */
function widthsArray(sorted: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (const [gid, width] of sorted) {
    const n = out.length;
    if (n > 0 && out[n - 2] === gid - 1 && out[n - 1] === width) out[n - 2] = gid;
    else out.push(gid, gid, width);
  }
  return out;
}

/**
 * Six uppercase letters derived from the glyph set, so the same subset gets the same name [PDF 32000 §9.6.4].
 * FNV-1a (32 bits) is plenty for a tag that only has to differ between subsets of one document.
 */
function subsetTag(gids: number[]): string {
  let hash = 0x811c9dc5;
  for (const gid of gids) {
    hash = Math.imul(hash ^ (gid & 0xff), 0x01000193);
    hash = Math.imul(hash ^ (gid >> 8), 0x01000193);
  }
  let tag = '';
  for (let i = 0, h = hash >>> 0; i < 6; i++, h = Math.floor(h / 26)) tag += String.fromCharCode(65 + (h % 26));
  return tag;
}
