/** Picks the stamp style and hands prepare-signature.ts a function that places and draws it on the chosen page. */
import type { IncrementalUpdate } from '../incremental-writer.js';
import type { PageInfo } from '../page-tree.js';
import type { PdfRef } from '../pdf-objects.js';
import { addStampAppearance } from './stamp-appearance.js';
import type { StampImage } from './stamp-image.js';
import type { StampPosition } from './stamp-placement.js';
import { addRuEsignStamp } from './stamp-ru-esign.js';
import type { StampTextInput } from './stamp-text.js';
import type { TrueTypeFont } from './truetype-font.js';

/** The stamp conventions SignService draws. */
export const STAMP_STYLES = ['default', 'ru-esign'] as const;
export type StampStyle = (typeof STAMP_STYLES)[number];

export interface StampSpec extends StampTextInput {
  style: StampStyle;
  position: StampPosition;
  /** Only the default style shows an image. */
  image?: StampImage;
  font: TrueTypeFont;
}

export type StampDrawer = (
  update: IncrementalUpdate,
  page: PageInfo,
) => { rect: [number, number, number, number]; appearance: PdfRef };

export function stampDrawer(spec: StampSpec): StampDrawer {
  const { style, position, font, ...input } = spec;
  return style === 'ru-esign'
    ? (update, page) => addRuEsignStamp(update, page, position, input, font)
    : (update, page) => addStampAppearance(update, page, position, input, font);
}
