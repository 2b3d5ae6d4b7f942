/**
 * The language a person's notice is written in: the account's own language when set, else the portal's (the
 * install or update event's LANGUAGE_ID, or the install page's LANG, stored on the portal record), else the
 * configured default.
 */
import type { Portal } from '../domain/portal.js';
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

/** The portal's stored language, when known. */
export function portalLanguageOf(portal: Pick<Portal, 'language'> | undefined): string | undefined {
  return portal?.language;
}
