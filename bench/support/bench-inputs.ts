/**
 * The input PDFs, generated once into the cache directory: `make-noise-pdf.py` (reportlab + PIL,
 * random-noise JPEG pages, so size is not compressible away) and `make-scanned-pdf.py` (the same kind of
 * pages wrapped by img2pdf: a file from another producer).
 */
import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from './run-command.js';

/** The Python with reportlab and PIL; the `python3` on PATH may be another one without them. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** One input PDF ready for signing. */
export interface BenchInput {
  path: string;
  bytes: number;
}

/** Bump when make-noise-pdf.py or make-scanned-pdf.py changes, so old cached inputs are not reused. */
const INPUT_VERSION = 'v1';

/**
 * Returns the cached input of about `targetBytes`, generating it first if needed. It is written under
 * a temporary name and renamed, so an interrupted run never leaves a truncated input in the cache.
 */
export function ensureNoisePdf(options: GeneratedPdfOptions): Promise<BenchInput> {
  return ensureGeneratedPdf('noise', options);
}

/** The "foreign" input: a scanned-document PDF written by img2pdf (make-scanned-pdf.py), cached the same way. */
export function ensureScannedPdf(options: GeneratedPdfOptions): Promise<BenchInput> {
  return ensureGeneratedPdf('scanned', options);
}

/** Where a generated input is cached and how to make it (`scriptPath OUT TARGET_BYTES SEED`). */
export interface GeneratedPdfOptions {
  cacheDir: string;
  scriptPath: string;
  targetBytes: number;
  seed: number;
}

async function ensureGeneratedPdf(kind: string, options: GeneratedPdfOptions): Promise<BenchInput> {
  const file = path.join(options.cacheDir, `${kind}-${options.targetBytes}-${options.seed}-${INPUT_VERSION}.pdf`);
  if (!existsSync(file)) {
    const partial = `${file}.partial-${process.pid}`;
    try {
      await runChecked(SYSTEM_PYTHON, [options.scriptPath, partial, String(options.targetBytes), String(options.seed)]);
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
  }
  return { path: file, bytes: (await stat(file)).size };
}
