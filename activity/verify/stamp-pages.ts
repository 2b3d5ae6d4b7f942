/**
 * Where each signature's stamp is, and a picture of that page for the verification page: the widget's page
 * (its /P, or the page whose /Annots holds it) and its /Rect (an empty one is an invisible signature). Pages
 * are rendered by poppler's `pdftoppm` from memory (stdin), at most two at a time in the process, so a burst
 * of uploads cannot start a crowd of renderers.
 */
import { findPage, pageCount } from '../../shared/pdf/page-tree.js';
import type { PdfDocument } from '../../shared/pdf/pdf-document.js';
import { PdfRef } from '../../shared/pdf/pdf-objects.js';
import type { FoundSignature } from '../../shared/pdf/signature-fields.js';
import { renderPagePng } from '../b24/pdf-preview.js';

/** Renders running at once in this process. */
const MAX_RENDERS = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_RENDERS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The 1-based page of a visible signature's widget; undefined when it is invisible or not placed. */
export function stampPageOf(doc: PdfDocument, sig: FoundSignature): number | undefined {
  const widget = sig.fieldRef ? doc.resolveDict(sig.fieldRef) : undefined;
  if (!widget) return undefined;
  const rect = doc.resolve(widget.get('Rect'));
  if (!Array.isArray(rect) || rect.length !== 4) return undefined;
  const [x0, y0, x1, y1] = rect.map((n) => Number(doc.resolve(n)));
  if (!(Math.abs(x1! - x0!) > 0 && Math.abs(y1! - y0!) > 0)) return undefined;
  const pageRef = widget.get('P');
  const count = Math.min(pageCount(doc), 2000);
  for (let i = 0; i < count; i++) {
    const page = findPage(doc, i);
    if (
      pageRef instanceof PdfRef ? page.ref.num === pageRef.num : hasAnnot(doc, page.dict.get('Annots'), sig.fieldRef)
    ) {
      return i + 1;
    }
  }
  return undefined;
}

function hasAnnot(doc: PdfDocument, annots: unknown, ref: PdfRef | undefined): boolean {
  const list = doc.resolve(annots as never);
  return Array.isArray(list) && ref !== undefined && list.some((a) => a instanceof PdfRef && a.num === ref.num);
}

/** PNG pictures of `pages` (1-based), rendered once each; a page that fails to render is left out. */
export async function renderPages(pdf: Buffer, pages: readonly number[]): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  for (const page of [...new Set(pages)]) {
    try {
      out.set(page, await limited(() => renderPagePng(pdf, page)));
    } catch {
      // The page says the picture is unavailable; the verdict does not depend on it.
    }
  }
  return out;
}
