/**
 * The Document Security Store of PAdES B-LT [ETSI EN 319 142-1 §5.4.2; ISO 32000-2 §12.8.4.3]: one incremental
 * update with a new /DSS dictionary (referenced from the catalog) whose /Certs, /OCSPs and /CRLs arrays hold
 * every item of an earlier DSS plus the new ones (each a stream of DER), and whose /VRI maps each signature
 * (upper-case hex SHA-1 of its /Contents) to the items that validate it. Earlier objects are never rewritten:
 * an earlier DSS stays where it is and is merely no longer referenced.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { emptyValidationData, type ValidationData } from '../../crypto/revocation/validation-data.js';
import { IncrementalUpdate } from '../incremental-writer.js';
import type { PdfDocument } from '../pdf-document.js';
import { name, PdfDict, type PdfObject, PdfRef, PdfStream } from '../pdf-objects.js';

const KEYS = { certificates: 'Certs', ocspResponses: 'OCSPs', crls: 'CRLs' } as const;
const VRI_KEYS = { certificates: 'Cert', ocspResponses: 'OCSP', crls: 'CRL' } as const;
type Kind = keyof typeof KEYS;

/** The DSS of `doc` as validation data (empty when there is none). */
export function readDss(doc: PdfDocument): ValidationData {
  const data = emptyValidationData();
  const dss = doc.resolveDict(doc.catalog().get('DSS'));
  if (!dss) return data;
  for (const kind of Object.keys(KEYS) as Kind[]) {
    for (const item of arrayOf(doc, dss.get(KEYS[kind]))) {
      const bytes = streamBytes(doc, item);
      if (bytes) data[kind].push(bytes);
    }
  }
  return data;
}

/** The VRI key of a signature: SHA-1 of its /Contents bytes (padding included), upper-case hex. */
export function vriKey(contents: Buffer): string {
  return createHash('sha1').update(contents).digest('hex').toUpperCase();
}

/** Builds the update that adds `data` (and the per-signature `vri` entries) to the document's DSS. */
export function buildDssIncrement(
  doc: PdfDocument,
  data: ValidationData,
  vri: ReadonlyMap<string, ValidationData>,
  lastByte: number,
): Buffer {
  const update = new IncrementalUpdate(doc);
  const old = doc.resolveDict(doc.catalog().get('DSS'));
  const refs = new Map<string, PdfRef>();
  const dss = new PdfDict([['Type', name('DSS')]]);
  for (const kind of Object.keys(KEYS) as Kind[]) {
    const items: PdfObject[] = [];
    for (const item of arrayOf(doc, old?.get(KEYS[kind]))) {
      const bytes = streamBytes(doc, item);
      if (bytes && item instanceof PdfRef) refs.set(fingerprint(bytes), item);
      items.push(item);
    }
    for (const bytes of data[kind]) {
      const key = fingerprint(bytes);
      if (refs.has(key)) continue;
      const ref = update.allocate();
      update.set(ref, new PdfStream(new PdfDict([['Filter', name('FlateDecode')]]), zlib.deflateSync(bytes)));
      refs.set(key, ref);
      items.push(ref);
    }
    if (items.length > 0) dss.set(KEYS[kind], items);
  }
  const vriDict = doc.resolveDict(old?.get('VRI'))?.clone() ?? new PdfDict();
  for (const [key, entry] of vri) {
    const item = new PdfDict();
    for (const kind of Object.keys(VRI_KEYS) as Kind[]) {
      const list = entry[kind].map((bytes) => refs.get(fingerprint(bytes))).filter((r): r is PdfRef => r !== undefined);
      if (list.length > 0) item.set(VRI_KEYS[kind], list);
    }
    vriDict.set(key, item);
  }
  if (vriDict.map.size > 0) {
    const vriRef = update.allocate();
    update.set(vriRef, vriDict);
    dss.set('VRI', vriRef);
  }
  const dssRef = update.allocate();
  update.set(dssRef, dss);
  const catalog = doc.catalog().clone();
  catalog.set('DSS', dssRef);
  update.set(update.existingRef(doc.root.num), catalog);
  return update.build(doc.source.size, lastByte).bytes;
}

function fingerprint(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function arrayOf(doc: PdfDocument, value: PdfObject | undefined): PdfObject[] {
  const resolved = doc.resolve(value);
  return Array.isArray(resolved) ? resolved : [];
}

function streamBytes(doc: PdfDocument, item: PdfObject): Buffer | undefined {
  const stream = doc.resolve(item);
  if (!(stream instanceof PdfStream)) return undefined;
  try {
    return doc.streamData(stream);
  } catch {
    return undefined;
  }
}
