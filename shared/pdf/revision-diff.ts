/**
 * What a later revision changed after a signature, judged object by object against a whitelist in
 * the spirit of Acrobat's and pyHanko's rules for approval signatures [ISO 32000-1 §12.8.2.2; pyHanko
 * diff_analysis]: new objects, new signature fields and their widgets and appearances, growing /Annots
 * and /Fields by those widgets, /SigFlags, metadata, and filling an empty signature field are allowed;
 * anything else (page content, page count, existing annotations, other objects) is reported.
 */

import { pageCount } from './page-tree.js';
import type { PdfDocument } from './pdf-document.js';
import { changedKeys, pdfEqual } from './pdf-equal.js';
import { isName, PdfDict, type PdfObject, type PdfRef, PdfStream } from './pdf-objects.js';

export interface RevisionDiff {
  allowed: string[];
  disallowed: string[];
}

const CATALOG_KEYS_ALLOWED = new Set(['AcroForm', 'DSS', 'Metadata', 'Extensions', 'Version']);
const ACROFORM_KEYS_ALLOWED = new Set(['Fields', 'SigFlags', 'DR', 'DA']);

function isSignatureWidget(doc: PdfDocument, obj: PdfObject | undefined): boolean {
  const dict = doc.resolveDict(obj);
  if (!dict) return false;
  if (isName(doc.resolve(dict.get('FT')), 'Sig')) return true;
  const parent = doc.resolveDict(dict.get('Parent'));
  return parent !== undefined && isName(doc.resolve(parent.get('FT')), 'Sig');
}

/** An array that only grew by signature widgets/fields (old items kept in order). */
function onlyAddedSignatureItems(newDoc: PdfDocument, before: PdfObject[], after: PdfObject[]): boolean {
  if (after.length < before.length) return false;
  if (!before.every((item, i) => pdfEqual(item, after[i]))) return false;
  return after.slice(before.length).every((item) => isSignatureWidget(newDoc, item));
}

function arrayOf(doc: PdfDocument, obj: PdfObject | undefined): PdfObject[] {
  const v = doc.resolve(obj);
  return Array.isArray(v) ? v : [];
}

function judgeDict(oldDoc: PdfDocument, newDoc: PdfDocument, num: number, a: PdfDict, b: PdfDict): string | undefined {
  const keys = changedKeys(a, b);
  const type = (a.get('Type') as { name?: string } | undefined)?.name;
  if (num === oldDoc.root.num) {
    const bad = keys.filter((k) => !CATALOG_KEYS_ALLOWED.has(k));
    return bad.length ? `the document catalog changed (${bad.join(', ')})` : undefined;
  }
  if (type === 'Page') {
    const bad = keys.filter((k) => k !== 'Annots');
    if (bad.length) return `page object ${num} changed (${bad.join(', ')})`;
    if (!onlyAddedSignatureItems(newDoc, arrayOf(oldDoc, a.get('Annots')), arrayOf(newDoc, b.get('Annots')))) {
      return `annotations of page object ${num} were changed or removed`;
    }
    return undefined;
  }
  if (a.has('Fields') || num === (oldDoc.catalog().get('AcroForm') as PdfRef | undefined)?.num) {
    const bad = keys.filter((k) => !ACROFORM_KEYS_ALLOWED.has(k));
    if (bad.length) return `the form (AcroForm) changed (${bad.join(', ')})`;
    if (!onlyAddedSignatureItems(newDoc, arrayOf(oldDoc, a.get('Fields')), arrayOf(newDoc, b.get('Fields')))) {
      return 'form fields were changed or removed';
    }
    return undefined;
  }
  if (isSignatureWidget(oldDoc, a) && !a.has('V')) {
    // Filling an empty signature field: /V, /AP and the appearance state may be set.
    const bad = keys.filter((k) => !['V', 'AP', 'AS', 'Lock', 'SV'].includes(k));
    return bad.length ? `empty signature field ${num} changed beyond being signed (${bad.join(', ')})` : undefined;
  }
  return `object ${num}${type ? ` (${type})` : ''} was modified (${keys.join(', ')})`;
}

/** Compares the revision `oldDoc` with the newer `newDoc`. */
export function diffRevisions(oldDoc: PdfDocument, newDoc: PdfDocument): RevisionDiff {
  const allowed: string[] = [];
  const disallowed: string[] = [];
  const infoNum = oldDoc.info?.num;
  const changed = new Set<number>();
  for (const section of newDoc.sections) {
    if (section.offset < oldDoc.end) break;
    for (const [num, entry] of section.entries)
      if (entry.type !== 'free' && num !== section.streamObject) changed.add(num);
  }
  for (const num of changed) {
    const oldEntry = oldDoc.xref.get(num);
    const after = newDoc.getObject(num);
    if (!oldEntry || oldEntry.type === 'free') {
      allowed.push(`new object ${num}`);
      continue;
    }
    const before = oldDoc.getObject(num);
    if (pdfEqual(before, after)) continue;
    if (num === infoNum) {
      allowed.push('document information (metadata) updated');
      continue;
    }
    const a = before instanceof PdfStream ? before.dict : before;
    const b = after instanceof PdfStream ? after.dict : after;
    if (
      isName((a as PdfDict | undefined)?.get?.('Type'), 'ObjStm') ||
      isName((a as PdfDict | undefined)?.get?.('Type'), 'XRef')
    )
      continue;
    if (isName((a as PdfDict | undefined)?.get?.('Type'), 'Metadata')) {
      allowed.push('XMP metadata updated');
      continue;
    }
    if (Array.isArray(before) && Array.isArray(after)) {
      if (onlyAddedSignatureItems(newDoc, before, after)) allowed.push(`list object ${num} grew by signature widgets`);
      else disallowed.push(`array object ${num} (annotations or fields) was changed`);
      continue;
    }
    if (before instanceof PdfStream || after instanceof PdfStream) {
      disallowed.push(`stream object ${num} (e.g. page content) was modified`);
      continue;
    }
    if (a instanceof PdfDict && b instanceof PdfDict) {
      const problem = judgeDict(oldDoc, newDoc, num, a, b);
      if (problem) disallowed.push(problem);
      else allowed.push(`object ${num} updated for a new signature`);
      continue;
    }
    disallowed.push(`object ${num} was replaced`);
  }
  const pagesBefore = pageCount(oldDoc);
  const pagesAfter = pageCount(newDoc);
  if (pagesBefore !== pagesAfter) disallowed.push(`the page count changed from ${pagesBefore} to ${pagesAfter}`);
  return { allowed, disallowed };
}
