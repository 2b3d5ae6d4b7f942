import { readJpeg } from './jpeg-image.js';
import { readPng } from './png-image.js';
import { imageError } from './stamp-image-error.js';

/** Colour space of a stamp image, as the PDF image XObject's /ColorSpace [PDF 32000 §8.6]. */
export type StampColorSpace =
  | 'DeviceRGB'
  | 'DeviceGray'
  | 'DeviceCMYK'
  /** [/Indexed /DeviceRGB hival <lookup>] with 3 bytes per palette entry [PDF 32000 §8.6.6.3]. */
  | { indexed: { base: 'DeviceRGB'; hival: number; lookup: Buffer } };

/** An image ready to become a PDF image XObject: the stream data is already encoded with `filter`. */
export interface StampImage {
  width: number;
  height: number;
  colorSpace: StampColorSpace;
  bitsPerComponent: 8;
  /** DCTDecode = the JPEG file as is; FlateDecode = zlib data, PNG-predicted when `decodeParms` is set. */
  filter: 'DCTDecode' | 'FlateDecode';
  /** /DecodeParms of the filter (Predictor, Colors, BitsPerComponent, Columns) [PDF 32000 §7.4.4.4]. */
  decodeParms?: Record<string, number>;
  data: Buffer;
  /** Transparency as an /SMask image: Flate-compressed DeviceGray, 8 bits [PDF 32000 §11.6.5.3]. */
  smask?: { width: number; height: number; data: Buffer };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Reads a stamp image (company seal) from PNG or JPEG bytes. JPEG passes through untouched; PNG without
 * transparency passes its compressed data through with a PNG predictor, PNG with transparency is decoded and
 * split into colour and soft mask. Everything else fails with IMAGE_UNSUPPORTED and the reason.
 */
export function loadStampImage(bytes: Buffer): StampImage {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return readJpeg(bytes);
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return readPng(bytes);
  throw imageError(`The image is ${describeFormat(bytes)}, not PNG or JPEG`);
}

/** Names common formats in the error so the user knows what they uploaded. */
function describeFormat(bytes: Buffer): string {
  const head = bytes.toString('latin1', 0, 12);
  if (bytes.length === 0) return 'empty';
  if (head.startsWith('GIF8')) return 'a GIF';
  if (head.startsWith('BM')) return 'a BMP';
  if (head.startsWith('RIFF') && head.slice(8) === 'WEBP') return 'a WebP';
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return 'a TIFF';
  if (head.startsWith('%PDF')) return 'a PDF';
  if (head.includes('<svg') || head.startsWith('<?xml')) return 'an SVG/XML file';
  return 'in an unknown format';
}
