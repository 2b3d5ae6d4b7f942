/**
 * Locates pages through the page tree [ISO 32000-1 §7.7.3], with the inheritable attributes
 * (/MediaBox, /CropBox, /Rotate, /Resources) collected on the way down.
 */
import { AppError, ErrorCode } from '../errors.js';
import type { PdfDocument } from './pdf-document.js';
import { isName, type PdfDict, type PdfObject, PdfRef } from './pdf-objects.js';

export interface PageInfo {
  ref: PdfRef;
  dict: PdfDict;
  /** 0-based. */
  index: number;
  mediaBox: [number, number, number, number];
  /** The visible region: the CropBox clipped to the MediaBox [§14.11.2]. */
  visibleBox: [number, number, number, number];
  /** 0, 90, 180 or 270 (clockwise, as displayed). */
  rotate: number;
}

const malformed = (message: string): AppError => new AppError(ErrorCode.PDF_MALFORMED, message);
const INHERITABLE = ['MediaBox', 'CropBox', 'Rotate', 'Resources'] as const;

function toBox(doc: PdfDocument, value: PdfObject | undefined): [number, number, number, number] | undefined {
  const arr = doc.resolve(value);
  if (!Array.isArray(arr) || arr.length !== 4) return undefined;
  const n = arr.map((v) => doc.resolve(v));
  if (!n.every((v) => typeof v === 'number')) return undefined;
  const [a, b, c, d] = n as number[];
  return [Math.min(a!, c!), Math.min(b!, d!), Math.max(a!, c!), Math.max(b!, d!)];
}

export function pagesRoot(doc: PdfDocument): PdfDict {
  const pages = doc.resolveDict(doc.catalog().get('Pages'));
  if (!pages) throw malformed('The document catalog has no page tree (/Pages).');
  return pages;
}

export function pageCount(doc: PdfDocument): number {
  const count = doc.resolve(pagesRoot(doc).get('Count'));
  if (typeof count !== 'number' || count < 0) throw malformed('The page tree has no valid /Count.');
  return count;
}

/** Finds the page with 0-based `index`, descending by /Count. */
export function findPage(doc: PdfDocument, index: number): PageInfo {
  const total = pageCount(doc);
  if (!Number.isInteger(index) || index < 0 || index >= total) {
    throw new AppError(
      ErrorCode.PDF_PAGE_OUT_OF_RANGE,
      `Page ${index + 1} does not exist: the document has ${total} page${total === 1 ? '' : 's'}.`,
    );
  }
  const inherited = new Map<string, PdfObject>();
  let node = pagesRoot(doc);
  let remaining = index;
  const visited = new Set<number>();
  for (let depth = 0; depth < 64; depth++) {
    for (const key of INHERITABLE) if (node.has(key)) inherited.set(key, node.get(key)!);
    const kids = doc.resolve(node.get('Kids'));
    if (!Array.isArray(kids)) throw malformed('A page tree node has no /Kids array.');
    let descended = false;
    for (const kidRef of kids) {
      if (!(kidRef instanceof PdfRef)) throw malformed('A page tree /Kids entry is not a reference.');
      if (visited.has(kidRef.num)) throw malformed('The page tree contains a cycle.');
      const kid = doc.resolveDict(kidRef);
      if (!kid) throw malformed(`Page tree object ${kidRef.num} cannot be read.`);
      const isLeaf = isName(kid.get('Type'), 'Page') || !kid.has('Kids');
      const count = isLeaf ? 1 : Number(doc.resolve(kid.get('Count')) ?? 0);
      if (remaining >= count) {
        remaining -= count;
        continue;
      }
      visited.add(kidRef.num);
      if (isLeaf) return describePage(doc, kidRef, kid, index, inherited);
      node = kid;
      descended = true;
      break;
    }
    if (!descended) throw malformed(`The page tree's /Count values are wrong: page ${index + 1} was not found.`);
  }
  throw malformed('The page tree is too deep.');
}

function describePage(
  doc: PdfDocument,
  ref: PdfRef,
  dict: PdfDict,
  index: number,
  inherited: Map<string, PdfObject>,
): PageInfo {
  const attr = (key: string): PdfObject | undefined => (dict.has(key) ? dict.get(key) : inherited.get(key));
  const mediaBox = toBox(doc, attr('MediaBox')) ?? [0, 0, 612, 792];
  const crop = toBox(doc, attr('CropBox')) ?? mediaBox;
  const visibleBox: [number, number, number, number] = [
    Math.max(crop[0], mediaBox[0]),
    Math.max(crop[1], mediaBox[1]),
    Math.min(crop[2], mediaBox[2]),
    Math.min(crop[3], mediaBox[3]),
  ];
  if (visibleBox[2] <= visibleBox[0] || visibleBox[3] <= visibleBox[1]) visibleBox.splice(0, 4, ...mediaBox);
  const rotateRaw = Number(doc.resolve(attr('Rotate')) ?? 0);
  const rotate = (((Math.round(rotateRaw / 90) * 90) % 360) + 360) % 360;
  return { ref, dict, index, mediaBox, visibleBox, rotate };
}

/** All page references in order (for verification); bounded by the declared count. */
export function listPageRefs(doc: PdfDocument): PdfRef[] {
  const out: PdfRef[] = [];
  const visited = new Set<number>();
  const walk = (node: PdfDict, depth: number): void => {
    if (depth > 64) throw malformed('The page tree is too deep.');
    const kids = doc.resolve(node.get('Kids'));
    if (!Array.isArray(kids)) return;
    for (const kidRef of kids) {
      if (!(kidRef instanceof PdfRef) || visited.has(kidRef.num)) continue;
      visited.add(kidRef.num);
      const kid = doc.resolveDict(kidRef);
      if (!kid) continue;
      if (isName(kid.get('Type'), 'Page') || !kid.has('Kids')) out.push(kidRef);
      else walk(kid, depth + 1);
    }
  };
  walk(pagesRoot(doc), 0);
  return out;
}
