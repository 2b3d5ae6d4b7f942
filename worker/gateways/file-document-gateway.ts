/**
 * Documents that are local files (`signservice request submit FILE --out PATH`). `fetch` reads the input
 * with a size limit and insists on a PDF header; `deliver` replaces the output atomically and durably, so a
 * reader of the output path sees the old file or the complete signed one, never half of it, and a repeated
 * delivery of the same bytes changes nothing. Given the signed blob's file (embedded store), `deliver` links it
 * instead of writing the bytes a second time.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DocumentRef } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { fileIoError } from '../../shared/fs/file-error.js';
import { readPdfFile } from '../../shared/fs/read-pdf-file.js';
import { removeTempLeftovers, writeFileDurably } from '../../shared/fs/write-file-durably.js';
import type { DocumentGateway } from './document-gateway.js';

type FileRef = Extract<DocumentRef, { kind: 'file' }>;

function asFile(ref: DocumentRef): FileRef {
  if (ref.kind !== 'file') throw new AppError(ErrorCode.INTERNAL, `file gateway given a '${ref.kind}' document`);
  return ref;
}

/** Creates the gateway; documents above `maxBytes` are refused before they are read. */
export function fileDocumentGateway(options: { maxBytes: number }): DocumentGateway {
  return {
    async fetch(ref) {
      return readPdfFile(asFile(ref).inputPath, { maxBytes: options.maxBytes });
    },
    async deliver(ref, bytes, hints = {}) {
      const { outputPath } = asFile(ref);
      try {
        // An earlier delivery of this request that was killed mid-write left its temporary file: it goes now.
        // Only then: listing the output's folder on every delivery costs time in proportion to the files in it.
        if (hints.resumed) {
          await removeTempLeftovers(path.dirname(outputPath), { target: path.basename(outputPath) });
        }
        const linkFrom = hints.copyOf ? { linkFrom: hints.copyOf } : {};
        await writeFileDurably(outputPath, bytes, { mode: 0o644, ...linkFrom });
      } catch (error) {
        throw fileIoError('write', outputPath, error);
      }
      return { outputPath, bytes: bytes.length };
    },
    async size(ref) {
      return (await fs.stat(asFile(ref).inputPath).catch(() => undefined))?.size;
    },
  };
}
