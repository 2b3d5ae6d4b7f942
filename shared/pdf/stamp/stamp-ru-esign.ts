/**
 * The Russian convention for a visible electronic-signature stamp ("ru-esign"): a blue frame headed
 * "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ", then the certificate's serial number, its owner, the signing time in the
 * signer's zone with its UTC offset, and the certificate's validity ("Действителен с … по …"), as Russian recipients
 * expect to see it. Every line is set at 7 pt or more at 100 % zoom: long values wrap onto further lines (the
 * stamp grows taller) instead of shrinking (stamp-layout.ts). Drawn as the widget's appearance, like the default
 * style (stamp-appearance.ts), never into page content.
 */
import type { IncrementalUpdate } from '../incremental-writer.js';
import type { PageInfo } from '../page-tree.js';
import { PdfDict, type PdfRef } from '../pdf-objects.js';
import { FontSubset } from './font-subset.js';
import { fitScale, fmt, layoutText, MIN_FONT_SIZE, rowOps, type StampBlock } from './stamp-layout.js';
import { placeStamp, type StampPosition, stampRoom } from './stamp-placement.js';
import { addFont, addForm } from './stamp-resources.js';
import type { StampLanguage, StampTextInput } from './stamp-text.js';
import { formatStampTime } from './stamp-time.js';
import type { TrueTypeFont } from './truetype-font.js';

/** The smallest type on this stamp, in points at 100 % zoom. */
export const RU_ESIGN_MIN_FONT_SIZE = MIN_FONT_SIZE;
const TITLE_SIZE = 7.5;
const BODY_SIZE = 7;
const PAD = 5;
const PREFERRED_WIDTH = 230;

const TEXT: Record<
  StampLanguage,
  {
    title: [string, string];
    certificate: string;
    owner: string;
    signed: string;
    validity: (from: string, to: string) => string;
    internal: string;
  }
> = {
  ru: {
    title: ['ДОКУМЕНТ ПОДПИСАН', 'ЭЛЕКТРОННОЙ ПОДПИСЬЮ'],
    certificate: 'Сертификат',
    owner: 'Владелец',
    // Short participle agreeing with "документ" of the title: "(Документ) подписан: 06.12.2026, 17:33 +03:00".
    signed: 'Подписан',
    validity: (from, to) => `Действителен с ${from} по ${to}`,
    internal: 'Сертификат внутреннего УЦ организации',
  },
  en: {
    title: ['DOCUMENT SIGNED WITH', 'AN ELECTRONIC SIGNATURE'],
    certificate: 'Certificate',
    owner: 'Owner',
    signed: 'Signed',
    validity: (from, to) => `Valid from ${from} to ${to}`,
    internal: "Certificate of the organisation's internal CA",
  },
};

/** dd.mm.yyyy in UTC, as the validity dates are meant (certificate dates are UTC). */
function day(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}.${two(date.getUTCMonth() + 1)}.${date.getUTCFullYear()}`;
}

/**
 * The lines. The title, the owner and the signing time are never shortened; when even 7 pt does not fit (pages
 * below A6), the validity gives way first, then the serial, and the internal-CA note last.
 */
function blocksFor(input: StampTextInput): StampBlock[] {
  const t = TEXT[input.lang];
  const cert = input.certificate;
  const body = (text: string, cut?: number): StampBlock =>
    cut === undefined ? { text, size: BODY_SIZE, keep: true } : { text, size: BODY_SIZE, cut };
  return [
    { text: t.title[0], size: TITLE_SIZE, centered: true, keep: true },
    { text: t.title[1], size: TITLE_SIZE, centered: true, keep: true, ruleAfter: true },
    body(`${t.certificate}: ${cert.serialNumber}`, 2),
    body(`${t.owner}: ${input.signerName}`),
    body(`${t.signed}: ${formatStampTime(input.signingTime, input.lang, input.timeZone)}`),
    body(t.validity(day(cert.notBefore), day(cert.notAfter)), 3),
    ...(input.internalUse ? [body(t.internal, 1)] : []),
  ];
}

/** Adds the stamp's objects to `update`; returns the widget rectangle and the appearance form. */
export function addRuEsignStamp(
  update: IncrementalUpdate,
  page: PageInfo,
  position: StampPosition,
  input: StampTextInput,
  font: TrueTypeFont,
): { rect: [number, number, number, number]; appearance: PdfRef } {
  const subset = new FontSubset(font);
  const room = stampRoom(page);
  const width = Math.min(PREFERRED_WIDTH, room.width);
  const layout = layoutText(subset, blocksFor(input), width - 2 * PAD, room.height - 2 * PAD);
  const height = layout.height + 2 * PAD;
  const scale = fitScale(width, height, room);
  const placement = placeStamp(page, position, { width: width * scale, height: height * scale });
  const top = height - PAD;
  const ops = ['q', ...(scale < 1 ? [`${fmt(scale)} 0 0 ${fmt(scale)} 0 0 cm`] : [])];
  ops.push('1 1 1 rg', `0 0 ${fmt(width)} ${fmt(height)} re f`);
  ops.push('0.09 0.27 0.62 RG', '1.2 w', `1.1 1.1 ${fmt(width - 2.2)} ${fmt(height - 2.2)} re S`);
  for (const rule of layout.rules)
    ops.push(`${fmt(PAD)} ${fmt(top - rule)} m ${fmt(width - PAD)} ${fmt(top - rule)} l S`);
  ops.push('0.09 0.27 0.62 rg', ...rowOps(subset, layout, PAD, top, width - 2 * PAD), 'Q');
  const resources = new PdfDict([['Font', new PdfDict([['F1', addFont(update, subset)]])]]);
  return { rect: placement.rect, appearance: addForm(update, placement, ops, resources) };
}
