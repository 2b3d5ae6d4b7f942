/**
 * The PDF objects a stamp appearance is made of: the embedded font subset, the image, and the form XObject
 * that becomes the widget's normal appearance (/AP /N) — never page content, so later signers do not change what
 * earlier signers signed [ISO 32000-1 §12.5.5].
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import type { IncrementalUpdate } from '../incremental-writer.js';
import { name, PdfDict, type PdfObject, type PdfRef, PdfStream, PdfString } from '../pdf-objects.js';
import type { FontSubset } from './font-subset.js';
import type { StampImage } from './stamp-image.js';
import type { StampPlacement } from './stamp-placement.js';

const flate = (data: Buffer): Buffer => zlib.deflateSync(data);

/**
 * Deflated font programs by their SHA-256. Deflating the subset was the stamp's largest cost (~0.5–1 ms of a
 * signature), and a signer's stamps use the same glyphs again and again (name, digits, fixed words); deflate
 * is deterministic, so the cached bytes are the ones it would make. Bounded: many signers only start it over.
 */
const deflatedFonts = new Map<string, Buffer>();

function flateFont(program: Buffer): Buffer {
  const id = createHash('sha256').update(program).digest('hex');
  let deflated = deflatedFonts.get(id);
  if (!deflated) {
    if (deflatedFonts.size >= 64) deflatedFonts.clear();
    deflated = flate(program);
    deflatedFonts.set(id, deflated);
  }
  return deflated;
}

/** Embeds the subset (Type0 / CIDFontType2, Identity-H, ToUnicode) and returns the font dictionary. */
export function addFont(update: IncrementalUpdate, subset: FontSubset): PdfRef {
  const built = subset.build();
  const fontFile = update.allocate();
  update.set(
    fontFile,
    new PdfStream(
      new PdfDict([
        ['Length1', built.fontFile.length],
        ['Filter', name('FlateDecode')],
      ]),
      flateFont(built.fontFile),
    ),
  );
  const descriptor = update.allocate();
  update.set(
    descriptor,
    new PdfDict([
      ['Type', name('FontDescriptor')],
      ['FontName', name(built.postScriptName)],
      ['Flags', built.flags],
      ['FontBBox', built.bbox],
      ['ItalicAngle', built.italicAngle],
      ['Ascent', built.ascent],
      ['Descent', built.descent],
      ['CapHeight', built.capHeight],
      ['StemV', built.stemV],
      ['FontFile2', fontFile],
    ]),
  );
  const cidFont = update.allocate();
  update.set(
    cidFont,
    new PdfDict([
      ['Type', name('Font')],
      ['Subtype', name('CIDFontType2')],
      ['BaseFont', name(built.postScriptName)],
      [
        'CIDSystemInfo',
        new PdfDict([
          ['Registry', PdfString.fromText('Adobe')],
          ['Ordering', PdfString.fromText('Identity')],
          ['Supplement', 0],
        ]),
      ],
      ['FontDescriptor', descriptor],
      ['W', built.widths],
      ['CIDToGIDMap', name('Identity')],
    ]),
  );
  const toUnicode = update.allocate();
  update.set(toUnicode, new PdfStream(new PdfDict([['Filter', name('FlateDecode')]]), flate(built.toUnicode)));
  const type0 = update.allocate();
  update.set(
    type0,
    new PdfDict([
      ['Type', name('Font')],
      ['Subtype', name('Type0')],
      ['BaseFont', name(built.postScriptName)],
      ['Encoding', name('Identity-H')],
      ['DescendantFonts', [cidFont]],
      ['ToUnicode', toUnicode],
    ]),
  );
  return type0;
}

export function addImage(update: IncrementalUpdate, image: StampImage): PdfRef {
  const dict = new PdfDict([
    ['Type', name('XObject')],
    ['Subtype', name('Image')],
    ['Width', image.width],
    ['Height', image.height],
    ['BitsPerComponent', image.bitsPerComponent],
    ['Filter', name(image.filter)],
  ]);
  const cs = image.colorSpace;
  const colorSpace: PdfObject =
    typeof cs === 'string'
      ? name(cs)
      : [name('Indexed'), name(cs.indexed.base), cs.indexed.hival, new PdfString(cs.indexed.lookup, true)];
  dict.set('ColorSpace', colorSpace);
  if (image.decodeParms) dict.set('DecodeParms', new PdfDict(Object.entries(image.decodeParms)));
  if (image.smask) {
    const smask = update.allocate();
    update.set(
      smask,
      new PdfStream(
        new PdfDict([
          ['Type', name('XObject')],
          ['Subtype', name('Image')],
          ['Width', image.smask.width],
          ['Height', image.smask.height],
          ['ColorSpace', name('DeviceGray')],
          ['BitsPerComponent', 8],
          ['Filter', name('FlateDecode')],
        ]),
        image.smask.data,
      ),
    );
    dict.set('SMask', smask);
  }
  const ref = update.allocate();
  update.set(ref, new PdfStream(dict, image.data));
  return ref;
}

/**
 * The appearance form XObject: `ops` draw the upright stamp in [0 0 width height] (the placement's size); the
 * placement's /Matrix turns it with the page's /Rotate, so the viewer maps the BBox exactly onto the widget /Rect.
 */
export function addForm(
  update: IncrementalUpdate,
  placement: StampPlacement,
  ops: string[],
  resources: PdfDict,
): PdfRef {
  const form = update.allocate();
  update.set(
    form,
    new PdfStream(
      new PdfDict([
        ['Type', name('XObject')],
        ['Subtype', name('Form')],
        ['BBox', [0, 0, placement.width, placement.height]],
        ['Matrix', placement.matrix],
        ['Resources', resources],
        ['Filter', name('FlateDecode')],
      ]),
      // Content streams are bytes; the text is in hex strings, so the operators are plain ASCII.
      flate(Buffer.from(ops.join('\n'), 'latin1')),
    ),
  );
  return form;
}

/** An empty appearance for invisible signatures (PDF/A and some validators want one). */
export function addEmptyAppearance(update: IncrementalUpdate): PdfRef {
  const form = update.allocate();
  update.set(
    form,
    new PdfStream(
      new PdfDict([
        ['Type', name('XObject')],
        ['Subtype', name('Form')],
        ['BBox', [0, 0, 0, 0]],
      ]),
      Buffer.alloc(0),
    ),
  );
  return form;
}
