/** Templates: every page and e-mail in both languages, complete, escaped in HTML, verbatim in text. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { en } from '../../shared/i18n/en.js';
import { formatDateTime, LANGUAGES, pickLanguage } from '../../shared/i18n/messages.js';
import { ru } from '../../shared/i18n/ru.js';
import { defaultTemplatesDir, loadTemplates } from '../../shared/mail/render-template.js';

/** Every leaf string of a catalogue, by dotted key. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out.set(`${prefix}${k}`, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

describe('templates and texts', () => {
  const renderer = loadTemplates();
  const pageData = {
    title: 'T',
    cspNonce: 'NONCE',
    login: 'mary<script>',
    issuer: 'ACME & Co',
    qrDataUrl: 'data:image/png;base64,AAAA',
    manualSecret: 'ABCD EFGH',
    expiresText: 'soon',
    formToken: 'FT',
    csrfToken: 'CSRF',
    formAction: 'tok?lang=en',
    revealAction: 'tok/key?lang=en',
    error: '',
    heading: 'H',
    text: 'X',
    code: 'C',
  };

  it('has the same keys in Russian and English, with the same placeholders, all non-empty', () => {
    // Plural texts have the forms their language's CLDR rules name (English one/other, Russian
    // one/few/many/other): compared as one text per group, each form of a group with the same placeholders.
    const FORM = /\.(zero|one|two|few|many|other)$/;
    const grouped = (catalog: Map<string, string>, language: 'ru' | 'en') => {
      const groups = new Map<string, Map<string, string>>();
      for (const [key, text] of catalog) {
        const form = FORM.exec(key)?.[1];
        const group = form ? key.slice(0, -form.length - 1) : key;
        const forms = groups.get(group) ?? new Map<string, string>();
        forms.set(form ?? '', text);
        groups.set(group, forms);
      }
      const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
      for (const [group, forms] of groups) {
        if (forms.has('')) continue;
        assert.deepEqual([...forms.keys()].sort(), [...categories].sort(), `${language}: plural forms of ${group}`);
      }
      return groups;
    };
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    const e = grouped(leaves(en), 'en');
    const r = grouped(leaves(ru), 'ru');
    assert.deepEqual([...r.keys()].sort(), [...e.keys()].sort());
    for (const [key, forms] of e) {
      const first = [...forms.values()][0] ?? '';
      for (const text of [...forms.values(), ...(r.get(key)?.values() ?? [])]) {
        assert.ok(text.trim(), `${key} has an empty text`);
        assert.deepEqual(placeholders(text), placeholders(first), `placeholders of ${key}`);
      }
    }
    assert.match(ru.enroll.title, /[а-я]/);
  });

  it('renders every page in both languages with the nonce and no unfilled placeholder', () => {
    for (const lang of LANGUAGES) {
      for (const page of ['enroll', 'enroll-key', 'enroll-done', 'message'] as const) {
        const html = renderer.page(page, lang, pageData);
        assert.match(html, new RegExp(`<html lang="${lang}">`));
        assert.match(html, /<style nonce="NONCE">/);
        assert.doesNotMatch(html, /\{\w+\}/, `${page}/${lang} has an unfilled placeholder`);
        assert.ok(!html.includes('<script>'), 'values are escaped');
      }
    }
    // The link's page offers the key (a POST with the CSRF token) and shows nothing of it.
    const landing = renderer.page('enroll', 'ru', pageData);
    assert.ok(landing.includes('mary&lt;script&gt;'));
    assert.ok(landing.includes(ru.enroll.reveal) && landing.includes('name="csrf_token" value="CSRF"'));
    assert.ok(!landing.includes('data:image') && !landing.includes('ABCD EFGH') && !landing.includes('form_token'));
    const enroll = renderer.page('enroll-key', 'ru', pageData);
    assert.ok(enroll.includes('mary&lt;script&gt;'));
    assert.ok(enroll.includes('ACME &amp; Co'));
    assert.ok(enroll.includes(ru.enroll.submit));
    assert.ok(enroll.includes('name="form_token" value="FT"'));
    assert.ok(enroll.includes('name="csrf_token" value="CSRF"'));
  });

  it('renders both e-mails as HTML and text twins in both languages', () => {
    const data = {
      login: 'mary<b>',
      issuer: 'ACME & Co',
      link: 'https://x.test/enroll/abc?lang=en',
      expiresText: 'tomorrow',
      untilText: '10:15',
      portal: 'acme.bitrix24.ru',
    };
    for (const lang of LANGUAGES) {
      for (const name of ['enrollment', 'lockout', 'lockout-admin'] as const) {
        const mail = renderer.email(name, lang, data);
        assert.ok(mail.subject.includes('mary<b>'), 'subjects are plain text');
        assert.ok(mail.html.includes('mary&lt;b&gt;'), 'HTML escapes');
        assert.ok(mail.text.includes('mary<b>'), 'text does not escape');
        assert.doesNotMatch(mail.html + mail.text, /\{\w+\}/);
        assert.ok(!mail.text.includes('<p>'));
      }
    }
    const ruMail = renderer.email('enrollment', 'ru', data);
    assert.match(ruMail.subject, /^Подключите/);
    assert.ok(ruMail.text.includes('https://x.test/enroll/abc?lang=en'));
    assert.ok(ruMail.text.includes('ACME & Co'));
    assert.ok(ruMail.html.includes('href="https://x.test/enroll/abc?lang&#x3D;en"'));
    assert.ok(ruMail.text.includes('FreeOTP'));
    assert.match(renderer.email('lockout', 'en', data).text, /locked until 10:15/);
    assert.match(renderer.email('lockout-admin', 'en', data).text, /locked until 10:15[\s\S]*acme\.bitrix24\.ru/);
  });

  it('fails loudly on a template that names a missing value or a missing file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signservice-templates-'));
    try {
      fs.cpSync(defaultTemplatesDir(), dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'pages/message.hbs'), '{{nosuchvalue}}');
      assert.throws(() => loadTemplates({ dir }).page('message', 'en', { title: 'x' }), /nosuchvalue/);
      fs.rmSync(path.join(dir, 'emails/lockout.txt.hbs'));
      assert.throws(
        () => loadTemplates({ dir }),
        (e: unknown) =>
          e instanceof AppError && e.code === ErrorCode.CONFIG_INVALID && /lockout\.txt\.hbs/.test(e.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('picks the language from ?lang=, then Accept-Language by quality, then the default', () => {
    assert.equal(pickLanguage({ query: 'en', acceptLanguage: 'ru', fallback: 'ru' }), 'en');
    assert.equal(pickLanguage({ query: 'de', acceptLanguage: 'en-US,en;q=0.9', fallback: 'ru' }), 'en');
    assert.equal(pickLanguage({ acceptLanguage: 'de-DE, en;q=0.5, ru;q=0.8', fallback: 'en' }), 'ru');
    assert.equal(pickLanguage({ acceptLanguage: 'de, fr;q=0.5', fallback: 'ru' }), 'ru');
    assert.equal(pickLanguage({ acceptLanguage: 'ru;q=0, en;q=0.1', fallback: 'ru' }), 'en');
    assert.equal(pickLanguage({ fallback: 'en' }), 'en');
  });

  it('formats times per language with the zone', () => {
    const at = new Date('2030-03-14T15:04:00Z');
    assert.equal(formatDateTime(at, 'en', 'UTC'), '14 March 2030, 15:04 (UTC)');
    assert.equal(formatDateTime(at, 'ru', 'UTC'), '14 марта 2030 г., 15:04 (UTC)');
    assert.equal(formatDateTime(at, 'ru', 'Europe/Moscow'), '14 марта 2030 г., 18:04 (Москва, UTC+3)');
  });
});
