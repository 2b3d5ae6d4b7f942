import { imageError } from './stamp-image-error.js';

/**
 * Undoes PNG row filtering [PNG spec (ISO/IEC 15948) §9]: `raw` is the inflated IDAT data, one filter-type byte
 * before each row; the result is the bare pixel bytes, `stride = width × bytesPerPixel` per row. Filters work
 * on bytes, and Uint8Array stores wrap modulo 256 exactly as the spec's arithmetic requires.
 */
export function unfilterScanlines(raw: Buffer, width: number, height: number, bytesPerPixel: number): Buffer {
  const stride = width * bytesPerPixel;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const filter = raw[src - 1];
    if (filter === 0) raw.copy(out, dst, src, src + stride);
    else if (filter === 1) unfilterSub(raw, out, src, dst, stride, bytesPerPixel);
    else if (filter === 2) unfilterUp(raw, out, src, dst, stride, y > 0);
    else if (filter === 3) unfilterAverage(raw, out, src, dst, stride, bytesPerPixel, y > 0);
    else if (filter === 4) unfilterPaeth(raw, out, src, dst, stride, bytesPerPixel, y > 0);
    else throw imageError(`The PNG is corrupt (row ${y} has unknown filter type ${filter})`);
  }
  return out;
}

function unfilterSub(raw: Buffer, out: Buffer, src: number, dst: number, stride: number, bpp: number): void {
  for (let i = 0; i < stride; i++) out[dst + i] = raw[src + i] + (i >= bpp ? out[dst + i - bpp] : 0);
}

function unfilterUp(raw: Buffer, out: Buffer, src: number, dst: number, stride: number, hasUp: boolean): void {
  for (let i = 0; i < stride; i++) out[dst + i] = raw[src + i] + (hasUp ? out[dst + i - stride] : 0);
}

function unfilterAverage(
  raw: Buffer,
  out: Buffer,
  src: number,
  dst: number,
  stride: number,
  bpp: number,
  hasUp: boolean,
): void {
  for (let i = 0; i < stride; i++) {
    const left = i >= bpp ? out[dst + i - bpp] : 0;
    const up = hasUp ? out[dst + i - stride] : 0;
    out[dst + i] = raw[src + i] + ((left + up) >> 1);
  }
}

function unfilterPaeth(
  raw: Buffer,
  out: Buffer,
  src: number,
  dst: number,
  stride: number,
  bpp: number,
  hasUp: boolean,
): void {
  for (let i = 0; i < stride; i++) {
    const left = i >= bpp ? out[dst + i - bpp] : 0;
    const up = hasUp ? out[dst + i - stride] : 0;
    const upLeft = hasUp && i >= bpp ? out[dst + i - stride - bpp] : 0;
    out[dst + i] = raw[src + i] + paethPredictor(left, up, upLeft);
  }
}

/** The predictor closest to left + up − upLeft, ties broken in the order left, up, upLeft [PNG §9.4]. */
function paethPredictor(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
