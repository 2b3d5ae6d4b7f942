/**
 * Page images for the approval page, rendered on the server with poppler's `pdftoppm` (PDF on stdin, one PNG
 * on stdout). Chosen over handing the PDF to an <iframe>/<object>: the page lives in Bitrix24's iframe under
 * a strict CSP, browsers' PDF viewers do not run in sandboxed or nested frames consistently, and an image
 * needs nothing on the signer's machine. Without pdftoppm the page says so and offers the download link.
 * The pages are counted with our own PDF reader, so a malformed file is reported before anything is run.
 */
import { spawn } from 'node:child_process';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { pageCount } from '../../shared/pdf/page-tree.js';
import { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { BufferSource } from '../../shared/pdf/pdf-source.js';

/** Resolution of the preview images (a 595 pt wide A4 page becomes ~740 px wide). */
export const PREVIEW_DPI = 90;
/** A render that takes longer than this is abandoned (the page then shows the download link only). */
const RENDER_TIMEOUT_MS = 20_000;

let available: Promise<boolean> | undefined;

/** True when `pdftoppm` runs on this machine (asked once per process). */
export function pdftoppmAvailable(): Promise<boolean> {
  available ??= new Promise((resolve) => {
    const child = spawn('pdftoppm', ['-v'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0 || code === 99));
  });
  return available;
}

/** The number of pages of `pdf`. @throws AppError from the PDF reader (PDF_NOT_PDF, PDF_DAMAGED, …) */
export function countPages(pdf: Buffer): number {
  return pageCount(PdfDocument.open(new BufferSource(pdf)));
}

/**
 * Page `page` (1-based) of `pdf` as PNG at `dpi`: one pdftoppm process. Callers go through the render pool
 * (page-render-pool.ts), which bounds how many run at once and caches the result.
 * @throws AppError INTERNAL when pdftoppm fails or times out
 */
export function renderPagePng(pdf: Buffer, page: number, dpi = PREVIEW_DPI): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const args = ['-png', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', '-'];
    const child = spawn('pdftoppm', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), RENDER_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new AppError(ErrorCode.INTERNAL, `pdftoppm could not be run: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const png = Buffer.concat(out);
      if (code === 0 && png.subarray(1, 4).toString('latin1') === 'PNG') resolve(png);
      else {
        const why = Buffer.concat(err).toString('utf8').trim().slice(0, 200) || `exit ${code}`;
        reject(new AppError(ErrorCode.INTERNAL, `pdftoppm could not render page ${page}: ${why}`));
      }
    });
    // A PDF pdftoppm stops reading early (EPIPE) is reported by 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(pdf);
  });
}
