import assert from 'node:assert/strict';

/** The tables of a font file that passed `checkSfntStructure`, plus its glyphs split by 'loca'. */
export interface CheckedFont {
  tables: Map<string, Buffer>;
  numGlyphs: number;
  glyph(gid: number): Buffer;
}

/**
 * Structural check of a TrueType file, written independently of the subsetter: offset table, sorted
 * directory, aligned non-overlapping tables inside the file, every table checksum, the whole-file checksum
 * (head.checkSumAdjustment), long 'loca' consistent with 'glyf', and 'hmtx' sized by hhea/maxp.
 */
export function checkSfntStructure(file: Buffer): CheckedFont {
  assert.equal(file.readUInt32BE(0), 0x00010000, 'sfnt version');
  const numTables = file.readUInt16BE(4);
  const searchRange = 16 * 2 ** Math.floor(Math.log2(numTables));
  assert.deepEqual(
    [file.readUInt16BE(6), file.readUInt16BE(8), file.readUInt16BE(10)],
    [searchRange, Math.log2(searchRange / 16), numTables * 16 - searchRange],
    'binary search hints',
  );
  const tables = new Map<string, Buffer>();
  let previousTag = '';
  let previousEnd = 12 + numTables * 16;
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + i * 16;
    const tag = file.toString('latin1', rec, rec + 4);
    const [checksum, offset, length] = [4, 8, 12].map((o) => file.readUInt32BE(rec + o)) as [number, number, number];
    assert.ok(tag > previousTag, `directory sorted by tag (${previousTag} < ${tag})`);
    assert.equal(offset % 4, 0, `${tag} is 4-byte aligned`);
    assert.ok(offset >= previousEnd, `${tag} does not overlap the previous table`);
    assert.ok(offset + length <= file.length, `${tag} lies inside the file`);
    const padded = Buffer.alloc((length + 3) & ~3);
    file.copy(padded, 0, offset, offset + length);
    if (tag === 'head') padded.writeUInt32BE(0, 8); // checksummed with checkSumAdjustment = 0
    assert.equal(sum32(padded), checksum, `${tag} checksum`);
    tables.set(tag, file.subarray(offset, offset + length));
    previousTag = tag;
    previousEnd = offset + length;
  }
  assert.equal(sum32(padTo4(file)), 0xb1b0afba, 'whole-file checksum (head.checkSumAdjustment)');
  return checkGlyphTables(tables);
}

function checkGlyphTables(tables: Map<string, Buffer>): CheckedFont {
  const table = (tag: string) => {
    const data = tables.get(tag);
    assert.ok(data, `table ${tag} present`);
    return data;
  };
  const head = table('head');
  assert.equal(head.readUInt32BE(12), 0x5f0f3cf5, 'head magic');
  assert.equal(head.readInt16BE(50), 1, 'long loca format');
  const numGlyphs = table('maxp').readUInt16BE(4);
  const numHMetrics = table('hhea').readUInt16BE(34);
  assert.ok(numHMetrics >= 1 && numHMetrics <= numGlyphs, 'hhea.numberOfHMetrics within maxp.numGlyphs');
  assert.equal(table('hmtx').length, numHMetrics * 4 + (numGlyphs - numHMetrics) * 2, 'hmtx size');
  const loca = table('loca');
  const glyf = table('glyf');
  assert.equal(loca.length, (numGlyphs + 1) * 4, 'loca size');
  for (let gid = 0; gid < numGlyphs; gid++) {
    assert.ok(loca.readUInt32BE(gid * 4) <= loca.readUInt32BE(gid * 4 + 4), `loca ascending at ${gid}`);
  }
  assert.equal(loca.readUInt32BE(numGlyphs * 4), glyf.length, 'last loca entry = glyf length');
  return {
    tables,
    numGlyphs,
    glyph: (gid) => glyf.subarray(loca.readUInt32BE(gid * 4), loca.readUInt32BE(gid * 4 + 4)),
  };
}

/** Component glyph ids of a composite glyph, read independently of the subsetter [OpenType glyf]. */
export function compositeComponents(glyph: Buffer): number[] {
  if (glyph.length === 0 || glyph.readInt16BE(0) >= 0) return [];
  const ids: number[] = [];
  let pos = 10;
  for (;;) {
    const flags = glyph.readUInt16BE(pos);
    ids.push(glyph.readUInt16BE(pos + 2));
    const transform = flags & 0x08 ? 2 : flags & 0x40 ? 4 : flags & 0x80 ? 8 : 0;
    pos += 4 + (flags & 0x01 ? 4 : 2) + transform;
    if (!(flags & 0x20)) return ids;
  }
}

function sum32(data: Buffer): number {
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum = (sum + data.readUInt32BE(i)) >>> 0;
  return sum;
}

function padTo4(data: Buffer): Buffer {
  return data.length % 4 === 0 ? data : Buffer.concat([data, Buffer.alloc(4 - (data.length % 4))]);
}
