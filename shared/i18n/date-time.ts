/**
 * Every time shown to a person — pages, e-mails, Bitrix24 notices, lockout messages, the panel — in that
 * person's time zone and one format per language, the zone named:
 * "6 декабря 2026 г., 17:33 (Москва, UTC+3)", "6 December 2026, 17:33 (Moscow Time, UTC+3)"; a zone without a
 * CLDR name (UTC, Etc/GMT-5) shows its offset only: "… 14:33 (UTC)". The stamp keeps its own compact form
 * (shared/pdf/stamp/stamp-time.ts); machine outputs (API JSON, the CLI) stay ISO 8601.
 *
 * Whose zone: the Bitrix24 user's `TIME_ZONE` (user.current / user.get; Bitrix24 documents no portal-wide zone),
 * else the account's own setting, else the service's (`TZ`) — `personTimeZone`.
 */
import { isTimeZone, systemTimeZone } from '../pdf/stamp/stamp-time.js';
import type { Language } from './messages.js';

const LOCALES: Record<Language, string> = { ru: 'ru-RU', en: 'en-GB' };

const formats = new Map<
  string,
  { date: Intl.DateTimeFormat; name: Intl.DateTimeFormat; offset: Intl.DateTimeFormat }
>();

function formatsFor(language: Language, timeZone: string) {
  const key = `${language}|${timeZone}`;
  let found = formats.get(key);
  if (!found) {
    const locale = LOCALES[language];
    found = {
      date: new Intl.DateTimeFormat(locale, {
        year: 'numeric',
        month: 'long',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone,
      }),
      name: new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'shortGeneric' }),
      offset: new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'shortOffset' }),
    };
    formats.set(key, found);
  }
  return found;
}

const zonePart = (format: Intl.DateTimeFormat, date: Date): string =>
  format.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';

/** "(Москва, UTC+3)": the zone's CLDR name when it has one, and its offset at `date`. */
function zoneLabel(date: Date, language: Language, timeZone: string): string {
  const f = formatsFor(language, timeZone);
  const offset = zonePart(f.offset, date).replace(/^GMT/, 'UTC').replace('\u2212', '-');
  const utc = offset === 'UTC+0' || offset === 'UTC' ? 'UTC' : offset;
  const name = zonePart(f.name, date);
  const named = name !== '' && !/^(GMT|UTC)/.test(name);
  return named ? `${name}, ${utc}` : utc;
}

/** `date` as people of `language` read it, in `timeZone` (an IANA name; default the service's), the zone named. */
export function formatDateTime(date: Date, language: Language, timeZone?: string): string {
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : systemTimeZone();
  const parts = formatsFor(language, zone).date.formatToParts(date);
  const text = (types: string[]) =>
    parts
      .filter(
        (p, i) =>
          types.includes(p.type) ||
          (p.type === 'literal' &&
            types.includes(parts[i - 1]?.type ?? '') &&
            types.includes(parts[i + 1]?.type ?? '')),
      )
      .map((p) => p.value)
      .join('');
  const day = text(['day', 'month', 'year']);
  // Russian writes "г." after the year; Intl puts it in the literal after the year.
  const yearIndex = parts.findIndex((p) => p.type === 'year');
  const suffix = language === 'ru' && /г\./.test(parts[yearIndex + 1]?.value ?? '') ? ' г.' : '';
  const time = text(['hour', 'minute']);
  return `${day}${suffix}, ${time} (${zoneLabel(date, language, zone)})`;
}

/** Where a person's zone may come from, best first; values that are not IANA zones are passed over. */
export interface PersonZones {
  /** The Bitrix24 user's TIME_ZONE (empty when the user never chose one). */
  bitrix?: string | undefined;
  /** The account's own setting. */
  account?: string | undefined;
  /** The service's (config / TZ); default the process's zone. */
  service?: string | undefined;
}

/** The zone times are shown in for one person: Bitrix24 user's, else the account's, else the service's. */
export function personTimeZone(zones: PersonZones): string {
  for (const zone of [zones.bitrix, zones.account, zones.service]) {
    if (zone && isTimeZone(zone)) return zone;
  }
  return systemTimeZone();
}
