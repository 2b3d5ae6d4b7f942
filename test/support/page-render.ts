/**
 * Renders a PDF page with poppler's `pdftoppm` and compares renders pixel by pixel, so tests can
 * check that a visible stamp appeared where expected and that nothing else on the page moved.
 */
import { AppError, ErrorCode } from '../../shared/errors.js';
import { runToolRaw } from './run-tool.js';

/** An 8-bit grayscale image, row-major from the top-left corner (0 = black, 255 = white). */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** A pixel rectangle in top-left-origin coordinates; x1 and y1 are inclusive. */
export interface PixelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Options for {@link renderPageGray}. */
export interface RenderOptions {
  /** Render the CropBox (what viewers show) instead of pdftoppm's default, the MediaBox. @default false */
  cropBox?: boolean;
}

/** Renders one page (1-based) at `dpi` with `pdftoppm -gray -r dpi -f p -l p` and decodes the PGM. */
export async function renderPageGray(
  file: string,
  page: number,
  dpi: number,
  options: RenderOptions = {},
): Promise<GrayImage> {
  const args = ['-gray', '-r', String(dpi), '-f', String(page), '-l', String(page)];
  if (options.cropBox) args.push('-cropbox');
  const run = await runToolRaw('pdftoppm', [...args, file]);
  if (run.exitCode !== 0 || run.stdout.length === 0) {
    throw new AppError(
      ErrorCode.INTERNAL,
      `pdftoppm could not render page ${page} of ${file} (exit ${run.exitCode}): ${run.stderr.trim()}`,
    );
  }
  return parsePgm(run.stdout);
}

/** Whitespace or `#` comments between PGM header fields. */
const SEP = String.raw`(?:\s|#[^\n]*\n)+`;
/** "P5", width, height, maxval, then exactly one whitespace byte before the samples. */
const PGM_HEADER = new RegExp(`^P5${SEP}(\\d+)${SEP}(\\d+)${SEP}(\\d+)\\s`);

/** Decodes a binary 8-bit PGM (netpbm "P5", maxval < 256: one byte per sample). */
export function parsePgm(data: Buffer): GrayImage {
  const header = PGM_HEADER.exec(data.toString('latin1', 0, Math.min(data.length, 256)));
  if (!header || Number(header[3]) > 255) {
    throw new AppError(
      ErrorCode.INTERNAL,
      `not an 8-bit binary PGM: ${JSON.stringify(data.toString('latin1', 0, 16))}`,
    );
  }
  const width = Number(header[1]);
  const height = Number(header[2]);
  const offset = header[0].length;
  if (data.length < offset + width * height) {
    throw new AppError(ErrorCode.INTERNAL, `PGM is truncated: ${data.length - offset} of ${width * height} samples`);
  }
  return { width, height, pixels: new Uint8Array(data.buffer, data.byteOffset + offset, width * height) };
}

/**
 * The bounding box of the pixels whose values differ by more than `threshold` (0..255), or null
 * when the images match. Both images must have the same size.
 */
export function diffBox(a: GrayImage, b: GrayImage, threshold = 0): PixelBox | null {
  if (a.width !== b.width || a.height !== b.height) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `cannot compare a ${a.width}x${a.height} render with a ${b.width}x${b.height} one`,
    );
  }
  let box: PixelBox | null = null;
  for (let y = 0; y < a.height; y++) {
    const row = y * a.width;
    for (let x = 0; x < a.width; x++) {
      if (Math.abs(a.pixels[row + x]! - b.pixels[row + x]!) <= threshold) continue;
      if (box === null) box = { x0: x, y0: y, x1: x, y1: y };
      else {
        box.x0 = Math.min(box.x0, x);
        box.x1 = Math.max(box.x1, x);
        box.y1 = y; // rows are scanned top to bottom, so the latest differing row is the lowest
      }
    }
  }
  return box;
}
