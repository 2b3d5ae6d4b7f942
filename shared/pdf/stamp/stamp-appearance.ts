/**
 * The default stamp style: a light blue box with a blue frame, an optional image (company seal) and the signer's
 * name, the signing time in the signer's zone, the certificate, serial, issuer and reason (stamp-text.ts), in an
 * embedded subset of DejaVu Sans, which covers Latin and Cyrillic. Every line is set at 7 pt or more at 100 %
 * zoom; long values wrap and the box grows within its sixth of the page (stamp-layout.ts).
 */
import type { IncrementalUpdate } from '../incremental-writer.js';
import type { PageInfo } from '../page-tree.js';
import { PdfDict, type PdfRef } from '../pdf-objects.js';
import { FontSubset } from './font-subset.js';
import type { StampImage } from './stamp-image.js';
import { fitScale, fmt, layoutText, rowOps } from './stamp-layout.js';
import { placeStamp, type StampPosition, stampRoom } from './stamp-placement.js';
import { addFont, addForm, addImage } from './stamp-resources.js';
import { defaultStampBlocks, type StampTextInput } from './stamp-text.js';
import type { TrueTypeFont } from './truetype-font.js';

const PREFERRED_WIDTH = 200;
const PAD = 5;
const IMAGE_SIDE = 52;
/** Narrower text than this beside the image reads badly: the image then goes above the text. */
const MIN_TEXT_BESIDE_IMAGE = 110;

/** Where the image sits in a box `width` wide: its square's side and corner, and the text area left for the rows. */
interface Frame {
  image?: { side: number; x: number; beside: boolean };
  textX: number;
  textWidth: number;
}

function frameFor(width: number, maxHeight: number, image: StampImage | undefined): Frame {
  if (!image) return { textX: PAD, textWidth: width - 2 * PAD };
  if (width - IMAGE_SIDE - 3 * PAD >= MIN_TEXT_BESIDE_IMAGE) {
    return {
      image: { side: IMAGE_SIDE, x: PAD, beside: true },
      textX: 2 * PAD + IMAGE_SIDE,
      textWidth: width - IMAGE_SIDE - 3 * PAD,
    };
  }
  const side = Math.min(IMAGE_SIDE, width - 2 * PAD, maxHeight / 3);
  return { image: { side, x: (width - side) / 2, beside: false }, textX: PAD, textWidth: width - 2 * PAD };
}

/** Draws `image` into the square `side` wide at (`x`, `y`), keeping its aspect ratio. */
function imageOps(image: StampImage, side: number, x: number, y: number): string[] {
  const ratio = image.width / image.height;
  const iw = ratio >= 1 ? side : side * ratio;
  const ih = ratio >= 1 ? side / ratio : side;
  return ['q', `${fmt(iw)} 0 0 ${fmt(ih)} ${fmt(x + (side - iw) / 2)} ${fmt(y + (side - ih) / 2)} cm`, '/Im1 Do', 'Q'];
}

/** Adds the stamp's objects to `update`; returns the widget rectangle and the appearance form. */
export function addStampAppearance(
  update: IncrementalUpdate,
  page: PageInfo,
  position: StampPosition,
  input: StampTextInput & { image?: StampImage },
  font: TrueTypeFont,
): { rect: [number, number, number, number]; appearance: PdfRef } {
  const subset = new FontSubset(font);
  const room = stampRoom(page);
  const width = Math.min(PREFERRED_WIDTH, room.width);
  const frame = frameFor(width, room.height - 2 * PAD, input.image);
  const above = frame.image && !frame.image.beside ? frame.image.side + PAD : 0;
  const layout = layoutText(subset, defaultStampBlocks(input), frame.textWidth, room.height - 2 * PAD - above);
  const inner = Math.max(layout.height + above, frame.image?.beside ? frame.image.side : 0);
  const height = inner + 2 * PAD;
  const scale = fitScale(width, height, room);
  const placement = placeStamp(page, position, { width: width * scale, height: height * scale });

  const ops = ['q', ...(scale < 1 ? [`${fmt(scale)} 0 0 ${fmt(scale)} 0 0 cm`] : [])];
  ops.push('0.93 0.96 1 rg', `0 0 ${fmt(width)} ${fmt(height)} re f`);
  ops.push('0.11 0.36 0.78 RG', '0.8 w', `0.4 0.4 ${fmt(width - 0.8)} ${fmt(height - 0.8)} re S`);
  const resources = new PdfDict();
  if (input.image && frame.image) {
    const { side, x } = frame.image;
    ops.push(...imageOps(input.image, side, x, height - PAD - side)); // top-aligned, beside or above the text
    resources.set('XObject', new PdfDict([['Im1', addImage(update, input.image)]]));
  }
  ops.push('0.07 0.15 0.35 rg', ...rowOps(subset, layout, frame.textX, height - PAD - above, frame.textWidth), 'Q');
  resources.set('Font', new PdfDict([['F1', addFont(update, subset)]]));
  return { rect: placement.rect, appearance: addForm(update, placement, ops, resources) };
}
