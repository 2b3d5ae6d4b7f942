/** head.checkSumAdjustment makes the whole file sum to this magic [OpenType head]. */
const CHECKSUM_MAGIC = 0xb1b0afba;
const HEAD_CHECKSUM_ADJUSTMENT = 8;

/**
 * Assembles a TrueType file from tables: directory sorted by tag (readers binary-search it), each table
 * 4-byte aligned and zero-padded, per-table checksums and head.checkSumAdjustment recomputed
 * [OpenType "Organization of an OpenType font", "Calculating checksums"].
 */
export function writeSfnt(tables: ReadonlyMap<string, Buffer>): Buffer {
  const tags = [...tables.keys()].sort();
  const numTables = tags.length;
  const directorySize = 12 + numTables * 16;
  let size = directorySize;
  for (const tag of tags) size += align4((tables.get(tag) as Buffer).length);

  const out = Buffer.alloc(size); // zero-filled, so the alignment padding is already zeros
  writeOffsetTable(out, numTables);
  let offset = directorySize;
  let headOffset = -1;
  tags.forEach((tag, i) => {
    const data = tables.get(tag) as Buffer;
    data.copy(out, offset);
    if (tag === 'head') {
      // The head checksum is computed with checkSumAdjustment set to 0.
      headOffset = offset;
      out.writeUInt32BE(0, offset + HEAD_CHECKSUM_ADJUSTMENT);
    }
    const rec = 12 + i * 16;
    out.write(tag.padEnd(4, ' '), rec, 4, 'latin1');
    out.writeUInt32BE(sfntChecksum(out.subarray(offset, offset + align4(data.length))), rec + 4);
    out.writeUInt32BE(offset, rec + 8);
    out.writeUInt32BE(data.length, rec + 12);
    offset += align4(data.length);
  });
  if (headOffset >= 0) {
    out.writeUInt32BE((CHECKSUM_MAGIC - sfntChecksum(out) + 0x100000000) % 0x100000000, headOffset + 8);
  }
  return out;
}

/** Offset table with the binary-search hints derived from the table count [OpenType "Table Directory"]. */
function writeOffsetTable(out: Buffer, numTables: number): void {
  let entrySelector = 0;
  while (2 ** (entrySelector + 1) <= numTables) entrySelector++;
  const searchRange = 2 ** entrySelector * 16;
  out.writeUInt32BE(0x00010000, 0);
  out.writeUInt16BE(numTables, 4);
  out.writeUInt16BE(searchRange, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(numTables * 16 - searchRange, 10);
}

/** Sum of big-endian uint32 words modulo 2^32; the data length must be a multiple of 4. */
function sfntChecksum(data: Buffer): number {
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  return sum;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
