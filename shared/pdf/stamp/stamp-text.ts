/** The stamp's text lines, in Russian or English. */
import type { CertificateInfo } from '../../crypto/certificate-info.js';
import { toStampDate } from '../pdf-date.js';

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

export interface StampTextInput {
  lang: StampLanguage;
  signerName: string;
  certificate: CertificateInfo;
  signingTime: Date;
  reason?: string;
  internalUse?: boolean;
}

/** The CN of an RFC 4514 DN string, unescaped. */
function commonNameOf(dn: string): string | undefined {
  const m = /(?:^|,)CN=((?:\\.|[^,])+)/.exec(dn);
  return m?.[1]?.replace(/\\(.)/g, '$1');
}

export function stampLines(input: StampTextInput): string[] {
  const l = LABELS[input.lang];
  const cert = input.certificate;
  const issuer = commonNameOf(cert.issuer) ?? cert.issuer;
  const lines = [
    input.signerName,
    `${l.signed}: ${toStampDate(input.signingTime)}`,
    `${l.certificate}: ${cert.subjectCommonName ?? cert.subject}`,
    `${l.serial}: ${cert.serialNumber}`,
    `${l.issuer}: ${issuer}${input.internalUse ? ` (${l.internal})` : ''}`,
  ];
  if (input.reason) lines.push(`${l.reason}: ${input.reason}`);
  return lines;
}
