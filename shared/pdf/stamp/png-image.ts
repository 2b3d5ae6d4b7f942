import zlib from 'node:zlib';
import { unfilterScanlines } from './png-filters.js';
import type { StampColorSpace, StampImage } from './stamp-image.js';
import { checkImageSize, imageError } from './stamp-image-error.js';

interface PngChunks {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  palette?: Buffer;
  transparency?: Buffer;
  /** The IDAT chunks concatenated: one zlib stream [PNG §10]. */
  idat: Buffer;
}

/** Samples per pixel by colour type: gray, RGB, palette index, gray+alpha, RGB+alpha [PNG §11.2.2]. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Turns an 8-bit, non-interlaced PNG into PDF image data. Opaque images keep their compressed data: PDF's
 * Flate filter with /Predictor 15 undoes PNG row filters itself [PDF 32000 §7.4.4.4]. With an alpha channel
 * or tRNS the pixels are decoded and the alpha goes to a separate soft mask. The data is always inflated and
 * unfiltered once, so corrupt files fail here instead of in the signer's PDF viewer.
 */
export function readPng(bytes: Buffer): StampImage {
  const png = readChunks(bytes);
  checkHeader(png);
  const channels = CHANNELS[png.colorType];
  const pixels = unfilterScanlines(inflateImage(png, channels), png.width, png.height, channels);
  const base = { width: png.width, height: png.height, bitsPerComponent: 8 as const, filter: 'FlateDecode' as const };

  if (png.colorType === 4 || png.colorType === 6) {
    const { color, alpha } = splitAlpha(pixels, channels);
    const image: StampImage = {
      ...base,
      colorSpace: png.colorType === 4 ? 'DeviceGray' : 'DeviceRGB',
      data: zlib.deflateSync(color),
    };
    return withSoftMask(image, alpha);
  }
  const colorSpace = colorSpaceOf(png, pixels);
  const image: StampImage = {
    ...base,
    colorSpace,
    decodeParms: { Predictor: 15, Colors: channels, BitsPerComponent: 8, Columns: png.width },
    data: png.idat,
  };
  return png.transparency === undefined ? image : withSoftMask(image, transparencyAlpha(png, pixels));
}

/** Reads the chunk sequence; CRCs are not checked (the zlib stream has its own Adler-32). */
function readChunks(bytes: Buffer): PngChunks {
  const idat: Buffer[] = [];
  let header: Omit<PngChunks, 'idat'> | undefined;
  let pos = 8;
  while (pos + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (pos + 12 + length > bytes.length) break;
    pos += 12 + length;
    if (header === undefined && type !== 'IHDR') throw imageError('The PNG is corrupt (IHDR is not first)');
    if (type === 'IHDR') header = readHeader(data);
    else if (type === 'PLTE') (header as PngChunks).palette = data;
    else if (type === 'tRNS') (header as PngChunks).transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') return { ...(header as PngChunks), idat: Buffer.concat(idat) };
    // An unknown critical chunk (uppercase first letter) changes how the image must be read [PNG §5.4].
    else if (type.charCodeAt(0) < 0x61) throw imageError(`The PNG has an unknown critical chunk '${type}'`);
  }
  throw imageError('The PNG is truncated (no IEND chunk)');
}

function readHeader(data: Buffer): Omit<PngChunks, 'idat'> {
  if (data.length < 13) throw imageError('The PNG is corrupt (short IHDR)');
  const header = {
    width: data.readUInt32BE(0),
    height: data.readUInt32BE(4),
    bitDepth: data[8],
    colorType: data[9],
    interlace: data[12],
  };
  if (data[10] !== 0 || data[11] !== 0) throw imageError('The PNG uses an unknown compression or filter method');
  return header;
}

function checkHeader(png: PngChunks): void {
  if (CHANNELS[png.colorType] === undefined) throw imageError(`The PNG has an invalid colour type ${png.colorType}`);
  if (png.bitDepth === 16) throw imageError('The PNG has 16 bits per channel');
  if (png.bitDepth !== 8) throw imageError(`The PNG has ${png.bitDepth} bits per sample`);
  if (png.interlace !== 0) throw imageError('The PNG is interlaced (Adam7)');
  checkImageSize(png.width, png.height);
  if (png.idat.length === 0) throw imageError('The PNG has no image data (IDAT)');
  if (png.colorType === 3) {
    const palette = png.palette;
    if (palette === undefined || palette.length === 0 || palette.length % 3 !== 0 || palette.length > 768) {
      throw imageError('The PNG palette (PLTE) is missing or corrupt');
    }
  }
}

/** Inflates IDAT, capping the output at the size the header promises (guards against zlib bombs). */
function inflateImage(png: PngChunks, channels: number): Buffer {
  const expected = png.height * (1 + png.width * channels);
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(png.idat, { maxOutputLength: expected });
  } catch (error) {
    throw imageError(`The PNG image data is corrupt (${(error as Error).message})`);
  }
  if (raw.length < expected) throw imageError('The PNG image data is truncated');
  return raw;
}

function splitAlpha(pixels: Buffer, channels: number): { color: Buffer; alpha: Buffer } {
  const count = pixels.length / channels;
  const colorChannels = channels - 1;
  const color = Buffer.alloc(count * colorChannels);
  const alpha = Buffer.alloc(count);
  for (let p = 0, s = 0, c = 0; p < count; p++) {
    for (let k = 0; k < colorChannels; k++) color[c++] = pixels[s++];
    alpha[p] = pixels[s++];
  }
  return { color, alpha };
}

/** Gray, RGB, or Indexed over the PLTE bytes; palette indexes past the palette are a corrupt file. */
function colorSpaceOf(png: PngChunks, pixels: Buffer): StampColorSpace {
  if (png.colorType === 0) return 'DeviceGray';
  if (png.colorType === 2) return 'DeviceRGB';
  const palette = png.palette as Buffer;
  const entries = palette.length / 3;
  for (const index of pixels) {
    if (index >= entries) throw imageError(`The PNG uses palette entry ${index} of ${entries}`);
  }
  return { indexed: { base: 'DeviceRGB', hival: entries - 1, lookup: Buffer.from(palette) } };
}

/** Alpha from tRNS: per palette entry, or one fully transparent gray/RGB colour key [PNG §11.3.2.1]. */
function transparencyAlpha(png: PngChunks, pixels: Buffer): Buffer {
  const trns = png.transparency as Buffer;
  const count = png.width * png.height;
  const alpha = Buffer.alloc(count, 255);
  if (png.colorType === 3) {
    for (let p = 0; p < count; p++) if (pixels[p] < trns.length) alpha[p] = trns[pixels[p]];
  } else if (png.colorType === 0 && trns.length >= 2) {
    const key = trns.readUInt16BE(0);
    for (let p = 0; p < count; p++) if (pixels[p] === key) alpha[p] = 0;
  } else if (png.colorType === 2 && trns.length >= 6) {
    const [r, g, b] = [trns.readUInt16BE(0), trns.readUInt16BE(2), trns.readUInt16BE(4)];
    for (let p = 0, s = 0; p < count; p++, s += 3) {
      if (pixels[s] === r && pixels[s + 1] === g && pixels[s + 2] === b) alpha[p] = 0;
    }
  }
  return alpha;
}

/** Adds the alpha as a soft mask unless every pixel is opaque (then a mask would only cost bytes). */
function withSoftMask(image: StampImage, alpha: Buffer): StampImage {
  if (alpha.every((a) => a === 255)) return image;
  return { ...image, smask: { width: image.width, height: image.height, data: zlib.deflateSync(alpha) } };
}
