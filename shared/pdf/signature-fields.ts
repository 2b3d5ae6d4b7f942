/**
 * Finds the form fields of a document and, among them, the filled signature fields with their
 * signature dictionaries [ISO 32000-1 §12.7.3, §12.8.1].
 */
import type { PdfDocument } from './pdf-document.js';
import { isName, type PdfDict, type PdfObject, PdfRef, PdfString } from './pdf-objects.js';

export interface FoundField {
  /** Fully qualified name (partial names joined with '.'). */
  name: string;
  ref: PdfRef | undefined;
  dict: PdfDict;
  /** The field type, inherited from ancestors when needed. */
  type: string | undefined;
}

export interface FoundSignature {
  fieldName: string;
  fieldRef: PdfRef | undefined;
  sigRef: PdfRef | undefined;
  sigDict: PdfDict;
  byteRange: number[];
  /** The CMS, trimmed to its DER length (the placeholder's zero padding removed). */
  contents: Buffer;
  subFilter: string | undefined;
  /** /M as written (a PDF date string), if any. */
  signingTime: string | undefined;
  /** /Type: Sig or DocTimeStamp. */
  kind: string;
}

/** Walks /AcroForm /Fields and their /Kids (cycle-safe, depth-bounded). */
export function listFields(doc: PdfDocument): FoundField[] {
  const acroForm = doc.resolveDict(doc.catalog().get('AcroForm'));
  const fields = doc.resolve(acroForm?.get('Fields'));
  const out: FoundField[] = [];
  if (!Array.isArray(fields)) return out;
  const seen = new Set<number>();
  const walk = (items: PdfObject[], prefix: string, inheritedType: string | undefined, depth: number): void => {
    if (depth > 32) return;
    for (const item of items) {
      if (item instanceof PdfRef) {
        if (seen.has(item.num)) continue;
        seen.add(item.num);
      }
      const dict = doc.resolveDict(item);
      if (!dict) continue;
      const partial = doc.resolve(dict.get('T'));
      const own = partial instanceof PdfString ? partial.text() : undefined;
      const fullName = own === undefined ? prefix : prefix ? `${prefix}.${own}` : own;
      const ft = doc.resolve(dict.get('FT'));
      const type = ft && isName(ft) ? ft.name : inheritedType;
      if (own !== undefined) out.push({ name: fullName, ref: item instanceof PdfRef ? item : undefined, dict, type });
      const kids = doc.resolve(dict.get('Kids'));
      if (Array.isArray(kids)) walk(kids, fullName, type, depth + 1);
    }
  };
  walk(fields, '', undefined, 0);
  return out;
}

/** Length of a DER element from its header, to strip the placeholder's zero padding. */
function derLength(bytes: Buffer): number | undefined {
  if (bytes.length < 2 || bytes[0] !== 0x30) return undefined;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || bytes.length < 2 + n) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i]!;
  return 2 + n + len;
}

export function listSignatures(doc: PdfDocument): FoundSignature[] {
  const out: FoundSignature[] = [];
  for (const field of listFields(doc)) {
    if (field.type !== 'Sig') continue;
    const v = field.dict.get('V');
    const sigDict = doc.resolveDict(v);
    if (!sigDict) continue;
    const byteRange = doc.resolve(sigDict.get('ByteRange'));
    const contents = doc.resolve(sigDict.get('Contents'));
    if (!Array.isArray(byteRange) || !(contents instanceof PdfString)) continue;
    const raw = contents.bytes;
    const len = derLength(raw);
    const subFilter = doc.resolve(sigDict.get('SubFilter'));
    const m = doc.resolve(sigDict.get('M'));
    const type = doc.resolve(sigDict.get('Type'));
    out.push({
      fieldName: field.name,
      fieldRef: field.ref,
      sigRef: v instanceof PdfRef ? v : undefined,
      sigDict,
      byteRange: byteRange.map((n) => Number(doc.resolve(n))),
      contents: len !== undefined && len <= raw.length ? raw.subarray(0, len) : raw,
      subFilter: subFilter && isName(subFilter) ? subFilter.name : undefined,
      signingTime: m instanceof PdfString ? m.text() : undefined,
      kind: type && isName(type) ? type.name : 'Sig',
    });
  }
  return out;
}

/** The first `<prefix><n>` (`Signature1`, …) not used by any field. */
export function uniqueSignatureFieldName(doc: PdfDocument, prefix = 'Signature'): string {
  const names = new Set(listFields(doc).map((f) => f.name));
  for (let n = 1; ; n++) if (!names.has(`${prefix}${n}`)) return `${prefix}${n}`;
}
