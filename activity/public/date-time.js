// Times in the pages' scripts, in the one format of the service: the same Intl options and the same
// assembly as shared/i18n/date-time.ts (test/i18n/date-time.test.ts compares the two), e.g.
// "6 декабря 2026 г., 17:33 (Москва, UTC+3)", "6 December 2026, 17:33 (Moscow Time, UTC+3)".

const LOCALES = { ru: 'ru-RU', en: 'en-GB' };

function zonePart(locale, timeZone, style, date) {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: style }).formatToParts(date);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
}

function knownZone(timeZone) {
  if (!timeZone) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** `date` for a person of `language` in `timeZone` (IANA; unknown or none: the browser's), the zone named. */
export function formatDateTime(date, language, timeZone) {
  const locale = LOCALES[language] ?? LOCALES.en;
  const zone = knownZone(timeZone) ?? new Intl.DateTimeFormat('en').resolvedOptions().timeZone;
  const parts = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: zone,
  }).formatToParts(date);
  const text = (types) =>
    parts
      .filter(
        (p, i) =>
          types.includes(p.type) ||
          (p.type === 'literal' && types.includes(parts[i - 1]?.type) && types.includes(parts[i + 1]?.type)),
      )
      .map((p) => p.value)
      .join('');
  const yearIndex = parts.findIndex((p) => p.type === 'year');
  const suffix = language === 'ru' && /г\./.test(parts[yearIndex + 1]?.value ?? '') ? ' г.' : '';
  const offset = zonePart(locale, zone, 'shortOffset', date).replace(/^GMT/, 'UTC').replace('\u2212', '-');
  const utc = offset === 'UTC+0' || offset === 'UTC' ? 'UTC' : offset;
  const name = zonePart(locale, zone, 'shortGeneric', date);
  const label = name !== '' && !/^(GMT|UTC)/.test(name) ? `${name}, ${utc}` : utc;
  return `${text(['day', 'month', 'year'])}${suffix}, ${text(['hour', 'minute'])} (${label})`;
}
