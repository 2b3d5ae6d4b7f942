/**
 * The visible stamp ("signet"): a form XObject used as the widget's normal appearance (/AP /N), never
 * page content, so later signers do not change what earlier signers signed [ISO 32000-1 §12.5.5].
 * It draws a blue frame, an optional image (company seal) and text lines in an embedded subset of
 * DejaVu Sans, which covers Latin and Cyrillic names.
 */
import zlib from 'node:zlib';
import type { IncrementalUpdate } from '../incremental-writer.js';
import { name, PdfDict, type PdfObject, type PdfRef, PdfStream, PdfString } from '../pdf-objects.js';
import { FontSubset } from './font-subset.js';
import type { StampImage } from './stamp-image.js';
import type { StampPlacement } from './stamp-placement.js';
import type { TrueTypeFont } from './truetype-font.js';

export interface StampContent {
  /** The first line is set larger (the signer's name). */
  lines: string[];
  image?: StampImage;
}

const PAD = 4;
const LEADING = 1.22;
const MIN_SIZE = 3.5;

const flate = (data: Buffer): Buffer => zlib.deflateSync(data);
const fmt = (n: number): string =>
  Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');

/** Fits `text` into `maxWidth` at `size`: shrinks to MIN_SIZE, then cuts with an ellipsis. */
function fitLine(font: FontSubset, text: string, size: number, maxWidth: number): { text: string; size: number } {
  let s = size;
  while (s > MIN_SIZE && font.widthOf(text, s) > maxWidth) s -= 0.25;
  if (font.widthOf(text, s) <= maxWidth) return { text, size: s };
  const chars = [...text];
  while (chars.length > 1 && font.widthOf(`${chars.join('')}…`, s) > maxWidth) chars.pop();
  return { text: `${chars.join('')}…`, size: s };
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
      flate(built.fontFile),
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

function addImage(update: IncrementalUpdate, image: StampImage): PdfRef {
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

/** Adds the stamp's objects to `update` and returns the appearance form XObject. */
export function addStampAppearance(
  update: IncrementalUpdate,
  placement: StampPlacement,
  content: StampContent,
  font: TrueTypeFont,
): PdfRef {
  const { width: w, height: h } = placement;
  const subset = new FontSubset(font);
  const ops: string[] = ['q', '0.93 0.96 1 rg', `0 0 ${fmt(w)} ${fmt(h)} re f`];
  ops.push('0.11 0.36 0.78 RG', '0.8 w', `0.4 0.4 ${fmt(w - 0.8)} ${fmt(h - 0.8)} re S`);
  const resources = new PdfDict();
  let textX = PAD + 1;
  if (content.image) {
    const side = h - 2 * PAD;
    const ratio = content.image.width / content.image.height;
    const iw = ratio >= 1 ? side : side * ratio;
    const ih = ratio >= 1 ? side / ratio : side;
    ops.push(
      'q',
      `${fmt(iw)} 0 0 ${fmt(ih)} ${fmt(PAD + (side - iw) / 2)} ${fmt(PAD + (side - ih) / 2)} cm`,
      '/Im1 Do',
      'Q',
    );
    resources.set('XObject', new PdfDict([['Im1', addImage(update, content.image)]]));
    textX = PAD + side + PAD;
  }
  const available = w - textX - PAD;
  const lines = content.lines.filter((l) => l.length > 0);
  const base = Math.min(8, (h - 2 * PAD) / ((lines.length + 0.3) * LEADING));
  ops.push('BT', '0.07 0.15 0.35 rg');
  let y = h - PAD;
  lines.forEach((line, i) => {
    const fitted = fitLine(subset, line, i === 0 ? base * 1.25 : base, available);
    y -= fitted.size * (i === 0 ? 1.05 : LEADING);
    ops.push(`/F1 ${fmt(fitted.size)} Tf`, `1 0 0 1 ${fmt(textX)} ${fmt(y)} Tm`, `<${subset.encode(fitted.text)}> Tj`);
  });
  ops.push('ET', 'Q');
  resources.set('Font', new PdfDict([['F1', addFont(update, subset)]]));
  const form = update.allocate();
  update.set(
    form,
    new PdfStream(
      new PdfDict([
        ['Type', name('XObject')],
        ['Subtype', name('Form')],
        ['BBox', [0, 0, w, h]],
        ['Matrix', placement.matrix],
        ['Resources', resources],
        ['Filter', name('FlateDecode')],
      ]),
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
