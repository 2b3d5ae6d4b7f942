/**
 * The languages of pages and e-mails, and how a request picks one: `?lang=` first, then the browser's
 * Accept-Language [RFC 9110 §12.5.4] by quality, then the configured default.
 */
import { en, type Messages } from './en.js';
import { ru } from './ru.js';

export type { Messages } from './en.js';
export type Language = 'en' | 'ru';
export const LANGUAGES: readonly Language[] = ['en', 'ru'];

const CATALOG: Record<Language, Messages> = { en, ru };

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The texts of one language. */
export function messagesFor(language: Language): Messages {
  return CATALOG[language];
}

/** Accept-Language ranges with their q values, best first; "en-US" counts as "en". */
function fromAcceptLanguage(header: string): Language | undefined {
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { primary: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((r) => r.q > 0 && !Number.isNaN(r.q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranges.map((r) => r.primary).find(isLanguage);
}

/** Picks the language for a request. */
export function pickLanguage(options: { query?: unknown; acceptLanguage?: string; fallback: Language }): Language {
  if (isLanguage(options.query)) return options.query;
  return (options.acceptLanguage && fromAcceptLanguage(options.acceptLanguage)) || options.fallback;
}

/** Dates and times for people: shared/i18n/date-time.ts. */
export { formatDateTime } from './date-time.js';

/** Fills `{name}` placeholders; unknown names stay as they are. No escaping: callers escape for HTML. */
export function fillPlaceholders(text: string, values: Record<string, unknown>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
