/** The default stamp style's text, in Russian or English: what each line says, its size and its importance. */
import type { CertificateInfo } from '../../crypto/certificate-info.js';
import type { StampBlock } from './stamp-layout.js';
import { formatStampTime } from './stamp-time.js';

export type StampLanguage = 'en' | 'ru';

const LABELS: Record<
  StampLanguage,
  Record<'signed' | 'certificate' | 'serial' | 'issuer' | 'reason' | 'internal', string>
> = {
  en: {
    signed: 'Digitally signed',
    certificate: 'Certificate',
    serial: 'Serial',
    issuer: 'Issuer',
    reason: 'Reason',
    internal: 'internal use',
  },
  ru: {
    signed: 'Подписано ЭП',
    certificate: 'Сертификат',
    serial: 'Серийный №',
    issuer: 'Издатель',
    reason: 'Причина',
    internal: 'для внутреннего использования',
  },
};

/** What a stamp says, in either style. */
export interface StampTextInput {
  lang: StampLanguage;
  signerName: string;
  certificate: CertificateInfo;
  signingTime: Date;
  /** IANA name, already checked (stamp-time.ts `checkTimeZone`). */
  timeZone: string;
  reason?: string;
  internalUse?: boolean;
}

/** The signer's name set larger than the rest; both in points, shrinkable together down to 7 pt. */
const NAME_SIZE = 10;
const BODY_SIZE = 8;

/** The CN of an RFC 4514 DN string, unescaped. */
function commonNameOf(dn: string): string | undefined {
  const m = /(?:^|,)CN=((?:\\.|[^,])+)/.exec(dn);
  return m?.[1]?.replace(/\\(.)/g, '$1');
}

/**
 * The default style's lines. The name and the signing time are never shortened; when even 7 pt does not fit (pages
 * below A6), the certificate's subject gives way first (it mostly repeats the name), then the issuer, the reason,
 * and the serial number last.
 */
export function defaultStampBlocks(input: StampTextInput): StampBlock[] {
  const l = LABELS[input.lang];
  const cert = input.certificate;
  const issuer = commonNameOf(cert.issuer) ?? cert.issuer;
  const body = (text: string, cut: number): StampBlock => ({ text, size: BODY_SIZE, cut });
  return [
    { text: input.signerName, size: NAME_SIZE, keep: true },
    {
      text: `${l.signed}: ${formatStampTime(input.signingTime, input.lang, input.timeZone)}`,
      size: BODY_SIZE,
      keep: true,
    },
    body(`${l.certificate}: ${cert.subjectCommonName ?? cert.subject}`, 4),
    body(`${l.serial}: ${cert.serialNumber}`, 1),
    body(`${l.issuer}: ${issuer}${input.internalUse ? ` (${l.internal})` : ''}`, 3),
    ...(input.reason ? [body(`${l.reason}: ${input.reason}`, 2)] : []),
  ];
}
