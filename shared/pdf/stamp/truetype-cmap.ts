import { fontError } from './font-error.js';

/** Maps a Unicode code point to a glyph id (0 = .notdef) through one cmap subtable. */
export type CodePointLookup = (codePoint: number) => number;

interface Candidate {
  rank: number;
  offset: number;
  format: number;
}

/**
 * Picks the best Unicode subtable of a 'cmap' table and returns a lookup for it.
 * Preference [OpenType cmap, "Platform IDs"]: (3,10) full Unicode, then (3,1) BMP, then any (0,x) Unicode
 * subtable; only formats 4 (segments, BMP) and 12 (groups, full range) are read, which is what
 * TrueType fonts with Latin and Cyrillic coverage ship.
 */
export function parseCmap(cmap: Buffer): CodePointLookup {
  const numTables = cmap.readUInt16BE(2);
  if (4 + numTables * 8 > cmap.length) throw fontError('cmap encoding records run past the table');
  let best: Candidate | undefined;
  for (let i = 0; i < numTables; i++) {
    const rec = 4 + i * 8;
    const platform = cmap.readUInt16BE(rec);
    const encoding = cmap.readUInt16BE(rec + 2);
    const offset = cmap.readUInt32BE(rec + 4);
    if (offset + 2 > cmap.length) throw fontError('cmap subtable offset is out of bounds');
    const format = cmap.readUInt16BE(offset);
    if (format !== 4 && format !== 12) continue;
    const rank = subtableRank(platform, encoding, format);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { rank, offset, format };
  }
  if (best === undefined) throw fontError('the font has no Unicode cmap subtable in format 4 or 12');
  const sub = cmap.subarray(best.offset);
  return best.format === 12 ? format12Lookup(sub) : format4Lookup(sub);
}

/** Lower is better; undefined = not a Unicode subtable. */
function subtableRank(platform: number, encoding: number, format: number): number | undefined {
  if (platform === 3 && encoding === 10) return 0;
  if (platform === 3 && encoding === 1) return 1;
  // Platform 0 is Unicode in all its encodings; prefer the full-range format 12 there.
  if (platform === 0) return format === 12 ? 2 : 3;
  return undefined;
}

/** Format 4: segment mapping to delta values [OpenType cmap §Format 4]. */
function format4Lookup(sub: Buffer): CodePointLookup {
  const segCount = sub.readUInt16BE(6) >> 1;
  const endCodes = 14;
  const startCodes = endCodes + segCount * 2 + 2; // +2 skips reservedPad
  const idDeltas = startCodes + segCount * 2;
  const idRangeOffsets = idDeltas + segCount * 2;
  const end = Math.min(sub.length, sub.readUInt16BE(2) || sub.length);
  if (idRangeOffsets + segCount * 2 > end) throw fontError('cmap format 4 subtable is truncated');
  return (codePoint) => {
    if (codePoint < 0 || codePoint > 0xffff) return 0;
    // Binary search for the first segment whose endCode >= codePoint.
    let lo = 0;
    let hi = segCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sub.readUInt16BE(endCodes + mid * 2) < codePoint) lo = mid + 1;
      else hi = mid;
    }
    if (segCount === 0 || sub.readUInt16BE(endCodes + lo * 2) < codePoint) return 0;
    const start = sub.readUInt16BE(startCodes + lo * 2);
    if (codePoint < start) return 0;
    const delta = sub.readUInt16BE(idDeltas + lo * 2);
    const rangeOffsetPos = idRangeOffsets + lo * 2;
    const rangeOffset = sub.readUInt16BE(rangeOffsetPos);
    if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
    // idRangeOffset is relative to its own position in the idRangeOffset array.
    const glyphPos = rangeOffsetPos + rangeOffset + (codePoint - start) * 2;
    if (glyphPos + 2 > end) return 0;
    const glyph = sub.readUInt16BE(glyphPos);
    return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
  };
}

/** Format 12: segmented coverage with sequential glyph ids [OpenType cmap §Format 12]. */
function format12Lookup(sub: Buffer): CodePointLookup {
  if (sub.length < 16) throw fontError('cmap format 12 subtable is truncated');
  const numGroups = sub.readUInt32BE(12);
  if (16 + numGroups * 12 > sub.length) throw fontError('cmap format 12 groups run past the table');
  return (codePoint) => {
    let lo = 0;
    let hi = numGroups - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const group = 16 + mid * 12;
      if (codePoint < sub.readUInt32BE(group)) hi = mid - 1;
      else if (codePoint > sub.readUInt32BE(group + 4)) lo = mid + 1;
      else return sub.readUInt32BE(group + 8) + (codePoint - sub.readUInt32BE(group));
    }
    return 0;
  };
}
