/**
 * Reading a PDF named by a path, as the local-file flow needs it: a regular file, within the size limit
 * (checked before reading, so a huge file is refused without being loaded), starting with a PDF header.
 * Shared by `signservice request submit` (to refuse at once) and the worker's file gateway.
 */
import fs from 'node:fs/promises';
import { AppError, ErrorCode } from '../errors.js';
import { errnoOf, fileErrorMessage } from './file-error.js';

/** The fixed start of every PDF [ISO 32000-1 §7.5.2]; readers accept it within the first 1024 bytes. */
export function assertPdfHeader(bytes: Buffer, name: string): void {
  if (bytes.length === 0) throw new AppError(ErrorCode.PDF_EMPTY, `${name} is empty`);
  if (!bytes.subarray(0, 1024).includes('%PDF-')) {
    throw new AppError(ErrorCode.PDF_NOT_PDF, `${name} is not a PDF file (no %PDF- header)`);
  }
}

/**
 * A missing or unreadable file stays so (INVALID_ARGUMENT, permanent); other I/O errors may pass (FILE_IO,
 * retried by the queue).
 */
function readError(file: string, error: unknown): AppError {
  const permanent = ['ENOENT', 'EISDIR', 'EACCES', 'EPERM', 'ENOTDIR', 'ELOOP'].includes(errnoOf(error) ?? '');
  return new AppError(
    permanent ? ErrorCode.INVALID_ARGUMENT : ErrorCode.FILE_IO,
    fileErrorMessage('read', file, error),
    { cause: error },
  );
}

/**
 * Reads `file`, or only its first KiB with `headerOnly` (a quick check).
 * @throws AppError DOCUMENT_TOO_LARGE, PDF_EMPTY, PDF_NOT_PDF, INVALID_ARGUMENT (missing, a directory, no access), FILE_IO.
 */
export async function readPdfFile(file: string, options: { maxBytes: number; headerOnly?: boolean }): Promise<Buffer> {
  let bytes: Buffer;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    if (stat.size > options.maxBytes) {
      throw new AppError(
        ErrorCode.DOCUMENT_TOO_LARGE,
        `${file} has ${stat.size} bytes, more than the limit of ${options.maxBytes} (SIGNSERVICE_MAX_PDF_MB)`,
      );
    }
    if (options.headerOnly) {
      const handle = await fs.open(file, 'r');
      try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(1024), 0, 1024, 0);
        bytes = buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } else {
      bytes = await fs.readFile(file);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw readError(file, error);
  }
  assertPdfHeader(bytes, file);
  return bytes;
}
