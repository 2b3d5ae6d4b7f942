/**
 * Reads the verification page's multipart form (RFC 7578) with busboy: a few short text fields and one file,
 * held in memory only and refused beyond `maxBytes` as soon as the limit is passed. The file's name is not
 * kept; nothing is written to disk.
 */
import busboy from 'busboy';
import type { Context } from 'koa';
import { AppError, ErrorCode } from '../../shared/errors.js';

export interface Upload {
  fields: Record<string, string>;
  /** The file's bytes; undefined when none was chosen. */
  file: Buffer | undefined;
}

/** Parses the request body. @throws AppError INVALID_ARGUMENT (not multipart), DOCUMENT_TOO_LARGE */
export function readUpload(ctx: Context, maxBytes: number): Promise<Upload> {
  if (!ctx.is('multipart/form-data')) {
    return Promise.reject(
      new AppError(ErrorCode.INVALID_ARGUMENT, 'expected a form with a file (multipart/form-data)'),
    );
  }
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes + 64 * 1024) {
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: Buffer | undefined;
    let failed: AppError | undefined;
    const parser = busboy({
      headers: ctx.req.headers,
      limits: { files: 1, fields: 8, fieldSize: 2048, fileSize: maxBytes, parts: 10 },
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failed = tooLarge(maxBytes);
      });
      stream.on('close', () => {
        const bytes = Buffer.concat(chunks);
        if (bytes.length > 0) file = bytes;
      });
    });
    parser.on('error', (error: Error) =>
      reject(new AppError(ErrorCode.INVALID_ARGUMENT, `the form could not be read: ${error.message}`)),
    );
    parser.on('close', () => (failed ? reject(failed) : resolve({ fields, file })));
    ctx.req.pipe(parser);
  });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError(ErrorCode.DOCUMENT_TOO_LARGE, `The file is larger than ${Math.round(maxBytes / 1048576)} MB.`);
}
