/**
 * The Russian convention for a visible electronic-signature stamp ("ru-esign"): a blue frame headed
 * "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ", then the certificate's serial number, its owner and its validity
 * ("Действителен с … по …"), as Russian recipients expect to see it. Every line is set at 7 pt or more at
 * 100 % zoom: long values wrap onto further lines (the stamp grows taller) instead of shrinking. Drawn as
 * the widget's appearance, like the default style (stamp-appearance.ts), never into page content.
 */
import zlib from 'node:zlib';
import type { CertificateInfo } from '../../crypto/certificate-info.js';
import type { IncrementalUpdate } from '../incremental-writer.js';
import type { PageInfo } from '../page-tree.js';
import { name, PdfDict, type PdfRef, PdfStream } from '../pdf-objects.js';
import { FontSubset } from './font-subset.js';
import { addFont } from './stamp-appearance.js';
import { placeStamp, type StampPosition } from './stamp-placement.js';
import type { StampLanguage } from './stamp-text.js';
import type { TrueTypeFont } from './truetype-font.js';

/** The smallest type on this stamp, in points at 100 % zoom. */
export const RU_ESIGN_MIN_FONT_SIZE = 7;
const TITLE_SIZE = 7.5;
const BODY_SIZE = 7;
const LEADING = 1.25;
const PAD = 5;
const PREFERRED_WIDTH = 230;

const TEXT: Record<
  StampLanguage,
  {
    title: [string, string];
    certificate: string;
    owner: string;
    validity: (from: string, to: string) => string;
    internal: string;
  }
> = {
  ru: {
    title: ['ДОКУМЕНТ ПОДПИСАН', 'ЭЛЕКТРОННОЙ ПОДПИСЬЮ'],
    certificate: 'Сертификат',
    owner: 'Владелец',
    validity: (from, to) => `Действителен с ${from} по ${to}`,
    internal: 'Сертификат внутреннего УЦ организации',
  },
  en: {
    title: ['DOCUMENT SIGNED WITH', 'AN ELECTRONIC SIGNATURE'],
    certificate: 'Certificate',
    owner: 'Owner',
    validity: (from, to) => `Valid from ${from} to ${to}`,
    internal: "Certificate of the organisation's internal CA",
  },
};

export interface RuEsignInput {
  lang: StampLanguage;
  /** The owner shown: the signer's name (the certificate's CN by default). */
  owner: string;
  certificate: CertificateInfo;
  internalUse?: boolean;
}

/** dd.mm.yyyy in UTC, as the validity dates are meant (certificate dates are UTC). */
function day(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}.${two(date.getUTCMonth() + 1)}.${date.getUTCFullYear()}`;
}

/** Splits `text` into lines no wider than `width` at `size`, breaking words that are wider themselves. */
export function wrapText(font: FontSubset, text: string, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (font.widthOf(candidate, size) <= width) {
      line = candidate;
      continue;
    }
    if (line) lines.push(line);
    line = '';
    if (font.widthOf(word, size) <= width) {
      line = word;
      continue;
    }
    for (const ch of word) {
      if (font.widthOf(line + ch, size) > width && line) {
        lines.push(line);
        line = '';
      }
      line += ch;
    }
  }
  if (line) lines.push(line);
  return lines;
}

interface Row {
  text: string;
  size: number;
  centered: boolean;
}

function rowsFor(input: RuEsignInput, font: FontSubset, width: number): Row[] {
  const t = TEXT[input.lang];
  const cert = input.certificate;
  const body = (text: string) =>
    wrapText(font, text, BODY_SIZE, width).map((line) => ({ text: line, size: BODY_SIZE, centered: false }));
  return [
    ...t.title.flatMap((title) =>
      wrapText(font, title, TITLE_SIZE, width).map((line) => ({ text: line, size: TITLE_SIZE, centered: true })),
    ),
    ...body(`${t.certificate}: ${cert.serialNumber}`),
    ...body(`${t.owner}: ${input.owner}`),
    ...body(t.validity(day(cert.notBefore), day(cert.notAfter))),
    ...(input.internalUse ? body(t.internal) : []),
  ];
}

/** Adds the stamp's objects to `update`; returns the widget rectangle and the appearance form. */
export function addRuEsignStamp(
  update: IncrementalUpdate,
  page: PageInfo,
  position: StampPosition,
  input: RuEsignInput,
  font: TrueTypeFont,
): { rect: [number, number, number, number]; appearance: PdfRef } {
  const subset = new FontSubset(font);
  // The width the page's cell allows; the height follows from the wrapped text.
  const width = placeStamp(page, position, { width: PREFERRED_WIDTH, height: 1 }).width;
  const rows = rowsFor(input, subset, width - 2 * PAD);
  const titleRows = rows.filter((r) => r.centered).length;
  const height = 2 * PAD + rows.reduce((sum, r) => sum + r.size * LEADING, 0) + 3;
  const placement = placeStamp(page, position, { width, height });
  const scale = placement.width / width;
  const ops: string[] = [
    'q',
    `${fmt(scale)} 0 0 ${fmt(scale)} 0 0 cm`,
    '1 1 1 rg',
    `0 0 ${fmt(width)} ${fmt(height)} re f`,
  ];
  ops.push('0.09 0.27 0.62 RG', '1.2 w', `1.1 1.1 ${fmt(width - 2.2)} ${fmt(height - 2.2)} re S`);
  let y = height - PAD;
  const separatorAfter = titleRows;
  ops.push('BT', '0.09 0.27 0.62 rg');
  rows.forEach((row, i) => {
    y -= row.size * LEADING;
    const x = row.centered ? (width - subset.widthOf(row.text, row.size)) / 2 : PAD;
    ops.push(
      `/F1 ${fmt(row.size)} Tf`,
      `1 0 0 1 ${fmt(x)} ${fmt(y + row.size * 0.22)} Tm`,
      `<${subset.encode(row.text)}> Tj`,
    );
    if (i === separatorAfter - 1) {
      ops.push('ET', `${fmt(PAD)} ${fmt(y - 1.5)} m ${fmt(width - PAD)} ${fmt(y - 1.5)} l S`, 'BT');
      y -= 3;
    }
  });
  ops.push('ET', 'Q');
  const form = update.allocate();
  update.set(
    form,
    new PdfStream(
      new PdfDict([
        ['Type', name('XObject')],
        ['Subtype', name('Form')],
        ['BBox', [0, 0, placement.width, placement.height]],
        ['Matrix', placement.matrix],
        ['Resources', new PdfDict([['Font', new PdfDict([['F1', addFont(update, subset)]])]])],
        ['Filter', name('FlateDecode')],
      ]),
      zlib.deflateSync(Buffer.from(ops.join('\n'), 'latin1')),
    ),
  );
  return { rect: placement.rect, appearance: form };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '').replace(/\.$/, '');
}
