/**
 * The signing time as the stamp shows it: in the signer's time zone, with its UTC offset, one format per
 * language from Intl — "06.12.2026, 17:33 +03:00" (ru), "6 Dec 2026, 17:33 +03:00" (en). The zone is an IANA
 * name ("Europe/Moscow"); without one, the process's zone (the TZ environment variable, else the system's).
 */
import { AppError, ErrorCode } from '../../errors.js';
import type { StampLanguage } from './stamp-text.js';

/**
 * Intl.DateTimeFormat objects by their options. Making one costs about 0.1 ms (ICU loads the locale and zone
 * data), and every signature needs four; a signing process sees few zones and locales. Bounded: a process fed
 * many zones only starts over. The key includes TZ, which decides the zone of a format made without one
 * (Node applies a change of process.env.TZ at once).
 */
const formats = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATS = 256;

function dateFormat(locale: string, options: Intl.DateTimeFormatOptions = {}): Intl.DateTimeFormat {
  const key = `${locale}|${options.timeZone === undefined ? `TZ=${process.env.TZ ?? ''}` : ''}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    if (formats.size >= MAX_FORMATS) formats.clear();
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}

/** The zone Intl uses when none is given: TZ, else the system's; 'UTC' if the platform names none. */
export function systemTimeZone(): string {
  return dateFormat('en').resolvedOptions().timeZone || 'UTC';
}

/**
 * The canonical IANA name of `zone` (Intl accepts any letter case and the old aliases it knows), or the process's
 * zone when `zone` is undefined.
 * @throws AppError INVALID_ARGUMENT when Intl does not know the zone; `what` (an option's name) goes into the message.
 */
export function checkTimeZone(zone: string | undefined, what?: string): string {
  if (zone === undefined) return systemTimeZone();
  try {
    if (zone.trim() !== zone || zone === '') throw new RangeError('empty or padded');
    return dateFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Unknown time zone '${zone}'${what ? ` (${what})` : ''}: give an IANA time zone name such as Europe/Moscow, ` +
        'Asia/Vladivostok or UTC',
    );
  }
}

/** True when `zone` is a time zone Intl knows (for callers that fall back instead of failing). */
export function isTimeZone(zone: string): boolean {
  try {
    checkTimeZone(zone);
    return true;
  } catch {
    return false;
  }
}

const FORMATS: Record<StampLanguage, { locale: string; options: Intl.DateTimeFormatOptions }> = {
  ru: { locale: 'ru-RU', options: { day: '2-digit', month: '2-digit', year: 'numeric' } },
  en: { locale: 'en-GB', options: { day: 'numeric', month: 'short', year: 'numeric' } },
};

/**
 * `date` as the stamp of language `lang` shows it in `timeZone` (a name `checkTimeZone` accepted). The stamp wraps
 * lines at spaces, so the spaces inside the date and between the time and its offset are no-break spaces (a time
 * torn from its offset reads as another time); only the one between the date and the time may break.
 */
export function formatStampTime(date: Date, lang: StampLanguage, timeZone: string): string {
  const { locale, options } = FORMATS[lang];
  const parts = dateFormat(locale, {
    ...options,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
    timeZoneName: 'longOffset',
  }).formatToParts(date);
  return parts
    .map((part, i) => {
      if (part.type === 'timeZoneName') return isoOffset(part.value);
      const betweenDateAndTime =
        part.type === 'literal' && parts[i - 1]?.type === 'year' && parts[i + 1]?.type === 'hour';
      return betweenDateAndTime ? part.value.replace(/\s+/g, ' ') : part.value.replace(/\s/g, '\u00a0');
    })
    .join('');
}

/** `date`'s UTC offset in `timeZone` as minutes east of Greenwich (+180 for Europe/Moscow). */
export function offsetMinutes(date: Date, timeZone: string): number {
  const name = dateFormat('en', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(date)
    .find((part) => part.type === 'timeZoneName')?.value;
  const m = /([+-])(\d{2}):?(\d{2})?/.exec(isoOffset(name ?? ''));
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/**
 * Intl's long offset ("GMT+03:00", "GMT-03:30", "GMT" for zero; some locales write U+2212 for minus) as the
 * ISO 8601 form "+03:00".
 */
function isoOffset(intl: string): string {
  const m = /([+\-\u2212])(\d{1,2})(?::?(\d{2}))?/.exec(intl);
  if (!m) return '+00:00';
  const sign = m[1] === '+' ? '+' : '-';
  return `${sign}${m[2]!.padStart(2, '0')}:${m[3] ?? '00'}`;
}
