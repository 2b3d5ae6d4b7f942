/**
 * The language a person's notice is written in: the account's own language when set, else the portal's
 * (the install event's LANGUAGE_ID or the portal record, when known), else the configured default.
 */
import { isLanguage, type Language } from '../i18n/messages.js';

/** Picks the notice language. Portal languages other than en/ru count as unknown. */
export function noticeLanguage(options: {
  account?: { language?: Language } | undefined;
  portalLanguage?: string | undefined;
  fallback: Language;
}): Language {
  if (options.account?.language) return options.account.language;
  const portal = options.portalLanguage?.toLowerCase().slice(0, 2);
  if (isLanguage(portal)) return portal;
  return options.fallback;
}

/** The portal's language when its record carries one (`language` / `languageId`). */
export function portalLanguageOf(portal: object | undefined): string | undefined {
  const record = portal as { language?: unknown; languageId?: unknown } | undefined;
  const value = record?.language ?? record?.languageId;
  return typeof value === 'string' ? value : undefined;
}
