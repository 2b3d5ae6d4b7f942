/**
 * The one date-time format for people (shared/i18n/date-time.ts) and its copy in the pages' scripts
 * (activity/public/date-time.js): the zone named, the same text from both, and whose zone wins.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultPublicDir } from '../../activity/routes/static-assets.js';
import { formatDateTime, personTimeZone } from '../../shared/i18n/date-time.js';
import type { Language } from '../../shared/i18n/messages.js';
import { systemTimeZone } from '../../shared/pdf/stamp/stamp-time.js';

type BrowserFormat = (date: Date, language: Language, timeZone?: string) => string;

describe('formatDateTime', () => {
  const at = new Date('2026-12-06T14:33:00Z');

  it('writes one format per language with the zone named by its name and offset', () => {
    assert.equal(formatDateTime(at, 'ru', 'Europe/Moscow'), '6 декабря 2026 г., 17:33 (Москва, UTC+3)');
    assert.equal(formatDateTime(at, 'en', 'Europe/Moscow'), '6 December 2026, 17:33 (Moscow Time, UTC+3)');
    assert.equal(formatDateTime(at, 'ru', 'Asia/Vladivostok'), '7 декабря 2026 г., 00:33 (Владивосток, UTC+10)');
    assert.equal(formatDateTime(at, 'en', 'Asia/Vladivostok'), '7 December 2026, 00:33 (Vladivostok Time, UTC+10)');
    assert.equal(formatDateTime(at, 'ru', 'UTC'), '6 декабря 2026 г., 14:33 (UTC)');
    assert.equal(formatDateTime(at, 'en', 'Asia/Kolkata'), '6 December 2026, 20:03 (India Time, UTC+5:30)');
    assert.equal(formatDateTime(at, 'en', 'America/New_York'), '6 December 2026, 09:33 (New York Time, UTC-5)');
  });

  it("uses the service's zone for none or an unknown one", () => {
    const service = formatDateTime(at, 'en', systemTimeZone());
    assert.equal(formatDateTime(at, 'en'), service);
    assert.equal(formatDateTime(at, 'en', 'Mars/Olympus'), service);
  });

  it('gives the pages’ scripts the very same text (activity/public/date-time.js)', async () => {
    const browser = (await import(pathToFileURL(path.join(defaultPublicDir(), 'date-time.js')).href)) as {
      formatDateTime: BrowserFormat;
    };
    const zones = ['Europe/Moscow', 'Asia/Vladivostok', 'UTC', 'Asia/Kolkata', 'America/New_York', 'Europe/Berlin'];
    const dates = [at, new Date('2027-07-01T00:05:00Z'), new Date('2026-01-31T23:59:00Z')];
    for (const language of ['ru', 'en'] as const) {
      for (const zone of zones) {
        for (const date of dates) {
          assert.equal(browser.formatDateTime(date, language, zone), formatDateTime(date, language, zone));
        }
      }
    }
  });
});

describe('personTimeZone', () => {
  it("takes the Bitrix24 user's zone, else the account's, else the service's", () => {
    const zones = { bitrix: 'Asia/Vladivostok', account: 'Europe/Moscow', service: 'UTC' };
    assert.equal(personTimeZone(zones), 'Asia/Vladivostok');
    assert.equal(personTimeZone({ ...zones, bitrix: '' }), 'Europe/Moscow');
    assert.equal(personTimeZone({ ...zones, bitrix: undefined, account: undefined }), 'UTC');
    assert.equal(personTimeZone({}), systemTimeZone());
  });

  it('passes over a zone Intl does not know', () => {
    assert.equal(personTimeZone({ bitrix: 'Nowhere/City', account: 'Europe/Moscow' }), 'Europe/Moscow');
  });
});
