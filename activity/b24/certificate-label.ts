/**
 * The text of a certificate wherever a person chooses or reads one (the Sign dialog, the approval page):
 * the administrator's display name with the short serial and the expiry, else subject, issuer, short
 * serial, where the key is (token label or internal CA) and the expiry; "default" marked.
 */
import { fillPlaceholders, type Language, messagesFor } from '../../shared/i18n/messages.js';
import type { CertificateChoice } from './certificate-choices.js';

export function certificateLabel(
  language: Language,
  choice: CertificateChoice,
  formatDate: (date: Date) => string,
): string {
  const t = messagesFor(language).choices;
  const expires = formatDate(choice.notAfter);
  const label = choice.displayName
    ? fillPlaceholders(t.certNamed, { name: choice.displayName, serial: choice.serial, expires })
    : fillPlaceholders(t.certDescribed, {
        subject: choice.name,
        issuer: choice.issuer,
        serial: choice.serial,
        where: choice.tokenLabel ? fillPlaceholders(t.certOnToken, { label: choice.tokenLabel }) : t.certInternal,
        expires,
      });
  return choice.isDefault ? fillPlaceholders(t.certDefaultMark, { label, default: t.certDefault }) : label;
}
