/**
 * Builds the incremental update that adds one signature field: the signature dictionary with its
 * /ByteRange and /Contents placeholders (a top-level uncompressed object, so /Contents has a fixed
 * offset), the merged field/widget, its appearance, and the changed page (or /Annots array), AcroForm
 * (existing fields kept, /SigFlags 3) and — only when it must change — the catalog.
 */
import { AppError, ErrorCode } from '../errors.js';
import { IncrementalUpdate } from './incremental-writer.js';
import { findPage, type PageInfo, pageCount } from './page-tree.js';
import { toPdfDate } from './pdf-date.js';
import type { PdfDocument } from './pdf-document.js';
import { name, PdfDict, PdfRaw, PdfRef, PdfString } from './pdf-objects.js';
import { uniqueSignatureFieldName } from './signature-fields.js';
import { addEmptyAppearance } from './stamp/stamp-resources.js';

export type PageSelector = 'first' | 'last' | number;
type Rect = [number, number, number, number];

export interface SignatureFieldSpec {
  /**
   * A PAdES signature, or a document timestamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161: /Contents holds
   * an RFC 3161 token over the ByteRange) [ETSI EN 319 142-1 §5.4.3]. @default 'signature'
   */
  kind?: 'signature' | 'document-timestamp';
  signingTime: Date;
  /** IANA zone whose local time and offset /M shows. @default the process's zone */
  timeZone?: string;
  /** Capacity of /Contents in bytes of DER. */
  placeholderSize: number;
  page: PageSelector;
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  appearance:
    | { kind: 'invisible' }
    /** A visible stamp (stamp/draw-stamp.ts) that places and draws itself on the chosen page. */
    | { kind: 'drawn'; draw(update: IncrementalUpdate, page: PageInfo): { rect: Rect; appearance: PdfRef } };
}

export interface PreparedIncrement {
  bytes: Buffer;
  /** Index of '<' of /Contents within `bytes`, and the index just after its '>'. */
  contentsStart: number;
  contentsEnd: number;
  byteRangeStart: number;
  byteRangeWidth: number;
  fieldName: string;
  pageIndex: number;
  rect: [number, number, number, number];
}

const BYTE_RANGE_WIDTH = 4 * 11 + 2;
/** /F 132 = Print + Locked [§12.5.3]. */
const WIDGET_FLAGS = 132;

function resolvePageIndex(doc: PdfDocument, selector: PageSelector): number {
  if (selector === 'first') return 0;
  const count = pageCount(doc);
  if (selector === 'last') return count - 1;
  if (!Number.isInteger(selector) || selector < 1 || selector > count) {
    throw new AppError(
      ErrorCode.PDF_PAGE_OUT_OF_RANGE,
      `Page ${selector} does not exist: the document has ${count} page${count === 1 ? '' : 's'}.`,
    );
  }
  return selector - 1;
}

/** Appends `item` to an array that is either direct in `owner[key]` or an indirect object. */
function appendToArray(
  doc: PdfDocument,
  update: IncrementalUpdate,
  owner: PdfDict,
  key: string,
  item: PdfRef,
): { ownerChanged: boolean } {
  const current = owner.get(key);
  if (current instanceof PdfRef) {
    const arr = doc.resolve(current);
    if (Array.isArray(arr)) {
      update.set(update.existingRef(current.num), [...arr, item]);
      return { ownerChanged: false };
    }
  }
  const arr = Array.isArray(current) ? current : [];
  owner.set(key, [...arr, item]);
  return { ownerChanged: true };
}

function sigDictionary(spec: SignatureFieldSpec): PdfDict {
  if (spec.kind === 'document-timestamp') {
    return new PdfDict([
      ['Type', name('DocTimeStamp')],
      ['Filter', name('Adobe.PPKLite')],
      ['SubFilter', name('ETSI.RFC3161')],
      ['ByteRange', new PdfRaw(Buffer.from(`[${' '.repeat(BYTE_RANGE_WIDTH - 2)}]`, 'latin1'))],
      ['Contents', new PdfRaw(Buffer.from(`<${'0'.repeat(spec.placeholderSize * 2)}>`, 'latin1'))],
    ]);
  }
  const dict = new PdfDict([
    ['Type', name('Sig')],
    ['Filter', name('Adobe.PPKLite')],
    ['SubFilter', name('ETSI.CAdES.detached')],
    ['ByteRange', new PdfRaw(Buffer.from(`[${' '.repeat(BYTE_RANGE_WIDTH - 2)}]`, 'latin1'))],
    ['Contents', new PdfRaw(Buffer.from(`<${'0'.repeat(spec.placeholderSize * 2)}>`, 'latin1'))],
    ['M', new PdfString(Buffer.from(toPdfDate(spec.signingTime, spec.timeZone), 'latin1'))],
  ]);
  if (spec.name) dict.set('Name', PdfString.fromText(spec.name));
  if (spec.reason) dict.set('Reason', PdfString.fromText(spec.reason));
  if (spec.location) dict.set('Location', PdfString.fromText(spec.location));
  if (spec.contactInfo) dict.set('ContactInfo', PdfString.fromText(spec.contactInfo));
  dict.set('Prop_Build', new PdfDict([['App', new PdfDict([['Name', name('SignService')]])]]));
  return dict;
}

export function prepareSignatureIncrement(
  doc: PdfDocument,
  spec: SignatureFieldSpec,
  lastByte: number,
): PreparedIncrement {
  const update = new IncrementalUpdate(doc);
  const page = findPage(doc, resolvePageIndex(doc, spec.page));
  const fieldName = uniqueSignatureFieldName(doc, spec.kind === 'document-timestamp' ? 'DocTimeStamp' : 'Signature');

  const sigRef = update.allocate();
  update.set(sigRef, sigDictionary(spec));

  let rect: [number, number, number, number] = [0, 0, 0, 0];
  let apRef: PdfRef;
  if (spec.appearance.kind === 'drawn') {
    const drawn = spec.appearance.draw(update, page);
    rect = drawn.rect;
    apRef = drawn.appearance;
  } else {
    apRef = addEmptyAppearance(update);
  }

  const widgetRef = update.allocate();
  update.set(
    widgetRef,
    new PdfDict([
      ['Type', name('Annot')],
      ['Subtype', name('Widget')],
      ['FT', name('Sig')],
      ['T', PdfString.fromText(fieldName)],
      ['V', sigRef],
      ['F', WIDGET_FLAGS],
      ['Rect', rect],
      ['P', page.ref],
      ['AP', new PdfDict([['N', apRef]])],
    ]),
  );

  const pageDict = page.dict.clone();
  if (appendToArray(doc, update, pageDict, 'Annots', widgetRef).ownerChanged) {
    update.set(update.existingRef(page.ref.num), pageDict);
  }
  addToAcroForm(doc, update, widgetRef);

  const bytes = update.build(doc.source.size, lastByte).bytes;
  const sigOffset = findObject(bytes, sigRef);
  const byteRangeStart = bytes.indexOf('/ByteRange [', sigOffset, 'latin1') + '/ByteRange '.length;
  const contentsStart = bytes.indexOf('/Contents <', sigOffset, 'latin1') + '/Contents '.length;
  return {
    bytes,
    contentsStart,
    contentsEnd: contentsStart + spec.placeholderSize * 2 + 2,
    byteRangeStart,
    byteRangeWidth: BYTE_RANGE_WIDTH,
    fieldName,
    pageIndex: page.index,
    rect,
  };
}

function findObject(bytes: Buffer, ref: PdfRef): number {
  const at = bytes.indexOf(`${ref.num} ${ref.gen} obj`, 0, 'latin1');
  if (at < 0) throw new AppError(ErrorCode.INTERNAL, 'the signature object is missing from the update');
  return at;
}

function addToAcroForm(doc: PdfDocument, update: IncrementalUpdate, widgetRef: PdfRef): void {
  const catalog = doc.catalog();
  const formEntry = catalog.get('AcroForm');
  const existing = doc.resolveDict(formEntry);
  const form = existing ? existing.clone() : new PdfDict([['Fields', []]]);
  const { ownerChanged } = appendToArray(doc, update, form, 'Fields', widgetRef);
  const sigFlagsChanged = form.get('SigFlags') !== 3;
  form.set('SigFlags', 3);
  if (formEntry instanceof PdfRef && existing) {
    if (ownerChanged || sigFlagsChanged) update.set(update.existingRef(formEntry.num), form);
    return;
  }
  if (existing && !ownerChanged && !sigFlagsChanged) return;
  // The AcroForm is inline in the catalog or absent: the catalog itself must change.
  const newCatalog = catalog.clone();
  if (existing) {
    newCatalog.set('AcroForm', form);
  } else {
    const formRef = update.allocate();
    update.set(formRef, form);
    newCatalog.set('AcroForm', formRef);
  }
  update.set(update.existingRef(doc.root.num), newCatalog);
}

/** Writes the final /ByteRange into the prepared bytes, for an input of `inputSize` bytes. */
export function fillByteRange(prepared: PreparedIncrement, inputSize: number): number[] {
  const total = inputSize + prepared.bytes.length;
  const a = inputSize + prepared.contentsStart;
  const b = inputSize + prepared.contentsEnd;
  const range = [0, a, b, total - b];
  const text = `${`[${range.join(' ')}`.padEnd(prepared.byteRangeWidth - 1, ' ')}]`;
  if (text.length !== prepared.byteRangeWidth) throw new AppError(ErrorCode.INTERNAL, 'ByteRange does not fit');
  prepared.bytes.write(text, prepared.byteRangeStart, 'latin1');
  return range;
}
