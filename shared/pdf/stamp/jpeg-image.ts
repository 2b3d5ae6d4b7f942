import type { StampImage } from './stamp-image.js';
import { checkImageSize, imageError } from './stamp-image-error.js';

// Start-of-frame markers PDF's DCTDecode reads: baseline, extended sequential and progressive Huffman
// [ITU-T T.81 Table B.1]. Lossless, hierarchical and arithmetic-coded frames are rejected.
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2]);
const OTHER_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const COLOR_SPACES = { 1: 'DeviceGray', 3: 'DeviceRGB', 4: 'DeviceCMYK' } as const;

/**
 * A JPEG goes into the PDF unchanged with /DCTDecode [PDF 32000 §7.4.8]; only the frame header is read for
 * size, sample precision and component count. Adobe-style inverted CMYK is left as is.
 */
export function readJpeg(bytes: Buffer): StampImage {
  const frame = findFrameHeader(bytes);
  if (frame.precision !== 8) throw imageError(`The JPEG has ${frame.precision}-bit samples, not 8-bit`);
  const colorSpace = COLOR_SPACES[frame.components as keyof typeof COLOR_SPACES];
  if (colorSpace === undefined) throw imageError(`The JPEG has ${frame.components} colour components`);
  if (frame.height === 0) throw imageError('The JPEG defines its height later in the file (DNL marker)');
  checkImageSize(frame.width, frame.height);
  return {
    width: frame.width,
    height: frame.height,
    colorSpace,
    bitsPerComponent: 8,
    filter: 'DCTDecode',
    data: bytes,
  };
}

interface FrameHeader {
  precision: number;
  height: number;
  width: number;
  components: number;
}

/** Walks the marker segments up to the SOFn segment [ITU-T T.81 §B.1.1, B.2.2]. */
function findFrameHeader(bytes: Buffer): FrameHeader {
  let pos = 2; // after SOI
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) throw imageError('The JPEG is corrupt (marker expected)');
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte before a marker [T.81 §B.1.1.2]
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2; // RSTn and TEM stand alone, without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // EOI or scan data before any frame header
    const length = bytes.readUInt16BE(pos + 2);
    if (length < 2 || pos + 2 + length > bytes.length) throw imageError('The JPEG is truncated or corrupt');
    if (SUPPORTED_SOF.has(marker)) {
      if (length < 8) throw imageError('The JPEG frame header is corrupt');
      return {
        precision: bytes[pos + 4],
        height: bytes.readUInt16BE(pos + 5),
        width: bytes.readUInt16BE(pos + 7),
        components: bytes[pos + 9],
      };
    }
    if (OTHER_SOF.has(marker)) throw imageError('The JPEG is lossless, hierarchical or arithmetic-coded');
    pos += 2 + length;
  }
  throw imageError('The JPEG has no frame header (truncated or corrupt)');
}
