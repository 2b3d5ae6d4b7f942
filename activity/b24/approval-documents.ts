/**
 * The approval page's view of a request's document: the deal's title, the PDF itself (fetched from the deal
 * through the worker's Bitrix24 document gateway, the same resolution of "which file" the signature will
 * use), its page count and page images (page-render-pool.ts: a few pdftoppm processes at most, each page
 * rendered once). The bytes of the few requests being looked at are kept in memory for a few minutes, so a
 * page with five images downloads the file once. The routes ask for any of this only while the request
 * waits for its signer (approval.ts): a decided or expired request's document is never fetched again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { readDeal } from '../../worker/bitrix24/deal-files.js';
import { bitrix24DocumentGateway } from '../../worker/gateways/bitrix24-document-gateway.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import { countPages, pdftoppmAvailable } from './pdf-preview.js';

/** Pages shown as images at most (the rest: download). */
export const PREVIEW_PAGES = 5;
const KEEP_MS = 5 * 60_000;
/** How long the page waits for the document before it shows without page images. */
const PREVIEW_WAIT_MS = 8000;
const KEEP_ENTRIES = 16;

export interface ApprovalDocuments {
  dealTitle(request: SignRequest): Promise<string>;
  bytes(request: SignRequest): Promise<Buffer>;
  /** Page numbers to show and the total, `{ unavailable }` without pdftoppm, undefined when unreadable. */
  preview(request: SignRequest): Promise<{ pages: number[]; total: number } | { unavailable: true } | undefined>;
  pagePng(request: SignRequest, page: number): Promise<Buffer>;
}

/** Creates the document access of the approval page. */
export function approvalDocuments(deps: B24UiDeps): ApprovalDocuments {
  const gateway = bitrix24DocumentGateway({
    b24: deps.b24,
    maxBytes: deps.maxDocumentBytes,
    logger: deps.logger,
    leases: deps.store.leases,
  });
  const kept = new Map<string, { at: number; bytes: Promise<Buffer> }>();

  const bytes = (request: SignRequest): Promise<Buffer> => {
    const now = Date.now();
    for (const [id, entry] of kept) if (now - entry.at > KEEP_MS) kept.delete(id);
    const hit = kept.get(request.id);
    if (hit) return hit.bytes;
    if (kept.size >= KEEP_ENTRIES) kept.delete(kept.keys().next().value as string);
    const loading = gateway.fetch(request.document);
    kept.set(request.id, { at: now, bytes: loading });
    loading.catch(() => kept.delete(request.id));
    return loading;
  };

  return {
    async dealTitle(request) {
      const doc = request.document;
      if (doc.kind !== 'bitrix24') return '';
      try {
        const since = Date.now() - deps.b24.deals.keepMs;
        const { item } = await readDeal(deps.b24, doc.memberId, doc.entityId, since);
        const title = item.title ?? item.TITLE;
        return typeof title === 'string' && title ? title : `#${doc.entityId}`;
      } catch (error) {
        deps.logger.warn({ requestId: request.id, error }, 'approval page: the deal could not be read');
        return `#${doc.entityId}`;
      }
    },
    bytes,
    async preview(request) {
      if (!(await pdftoppmAvailable())) return { unavailable: true };
      try {
        // The page must not wait long on the portal: without the bytes soon, it offers the download only.
        const pdf = await Promise.race([
          bytes(request),
          sleep(PREVIEW_WAIT_MS).then(() => {
            throw new AppError(ErrorCode.B24_UNAVAILABLE, 'the document did not arrive in time for the preview');
          }),
        ]);
        const total = countPages(pdf);
        return { pages: Array.from({ length: Math.min(total, PREVIEW_PAGES) }, (_, i) => i + 1), total };
      } catch (error) {
        deps.logger.warn({ requestId: request.id, error }, 'approval page: no preview of the document');
        return undefined;
      }
    },
    async pagePng(request, page) {
      const pdf = await bytes(request);
      if (page > Math.min(countPages(pdf), PREVIEW_PAGES)) {
        throw new AppError(ErrorCode.PDF_PAGE_OUT_OF_RANGE, `The preview shows pages 1 to ${PREVIEW_PAGES} only`);
      }
      return deps.pages.png(pdf, page);
    },
  };
}
