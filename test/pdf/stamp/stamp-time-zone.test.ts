/**
 * The stamp shows the signing time in the signer's zone with its UTC offset: Europe/Moscow +03:00 and
 * Asia/Vladivostok +10:00 in both styles and languages, read back from the page as MuPDF draws it, with /M
 * carrying the same local time; one Intl format per language; a zone Intl does not know is refused; the CLI's
 * --time-zone and, without it, the TZ environment variable. Every signed file stays intact for pdfsig, qpdf
 * and mutool.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SigningKey } from '../../../shared/crypto/signing-key.js';
import { loadPkcs12 } from '../../../shared/crypto/software-key.js';
import { AppError } from '../../../shared/errors.js';
import { signPdfBuffer } from '../../../shared/pdf/sign-pdf.js';
import { checkTimeZone, formatStampTime, systemTimeZone } from '../../../shared/pdf/stamp/stamp-time.js';
import { CLEAN_ENV, expectJson, expectOneLineError } from '../../cli/cli-expect.js';
import { runCli } from '../../support/cli.js';
import { runTool } from '../../support/run-tool.js';
import { createTestPki, type TestPki } from '../../support/test-pki.js';
import { buildPdf, onePage } from './minimal-pdf.js';
import { assertSignaturesIntact } from './stamp-measure.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** The stamp's time for `date` at a fixed `hours` east of UTC, worked out without Intl. */
function expectedTime(date: Date, hours: number, lang: 'ru' | 'en'): { stamp: string; pdf: string } {
  const d = new Date(date.getTime() + hours * 3_600_000);
  const [y, mo, day, h, mi] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  const offset = `+${two(hours)}:00`;
  return {
    stamp:
      lang === 'ru'
        ? `${two(day)}.${two(mo + 1)}.${y}, ${two(h)}:${two(mi)} ${offset}`
        : `${day} ${MONTHS[mo]} ${y}, ${two(h)}:${two(mi)} ${offset}`,
    pdf: `D:${y}${two(mo + 1)}${two(day)}${two(h)}${two(mi)}${two(d.getUTCSeconds())}+${two(hours)}'00'`,
  };
}

/** The text MuPDF draws on page 1 (the stamp included), no-break spaces as spaces, lines joined. */
async function pageText(file: string): Promise<string> {
  const run = await runTool('mutool', ['draw', '-F', 'txt', '-o', '-', file, '1']);
  assert.equal(run.exitCode, 0, run.stderr);
  return run.stdout.replace(/\u00a0/g, ' ').replace(/\s*\n\s*/g, ' ');
}

/** The /M of the last signature dictionary in `bytes`. */
function lastM(bytes: Buffer): string | undefined {
  return [...bytes.toString('latin1').matchAll(/\/M \((D:[^)]*)\)/g)].at(-1)?.[1];
}

describe('stamp time zone', function () {
  this.timeout(300_000);
  let pki: TestPki;
  let key: SigningKey;
  let dir: string;
  const input = buildPdf(onePage(595, 842, '<< >>', ''));
  // Whole minutes, an hour ago (the certificates are valid then); Moscow and Vladivostok have no daylight saving.
  const signingTime = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);

  before(async () => {
    pki = await createTestPki();
    const id = pki.identities.cyrillic;
    key = await loadPkcs12(fs.readFileSync(id.p12Path), id.p12Password);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stamp-tz-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('formats one way per language with Intl, the offset as ±hh:mm, the time never torn from it', () => {
    const at = new Date('2026-12-06T14:33:00Z');
    const cases: Array<[string, 'ru' | 'en', string]> = [
      ['Europe/Moscow', 'ru', '06.12.2026, 17:33 +03:00'],
      ['Europe/Moscow', 'en', '6 Dec 2026, 17:33 +03:00'],
      ['Asia/Vladivostok', 'ru', '07.12.2026, 00:33 +10:00'],
      ['Asia/Kolkata', 'en', '6 Dec 2026, 20:03 +05:30'],
      ['America/St_Johns', 'en', '6 Dec 2026, 11:03 -03:30'],
      ['UTC', 'ru', '06.12.2026, 14:33 +00:00'],
      ['Europe/Berlin', 'en', '6 Dec 2026, 15:33 +01:00'],
    ];
    for (const [zone, lang, want] of cases) {
      const got = formatStampTime(at, lang, zone);
      assert.equal(got.replace(/\u00a0/g, ' '), want, zone);
      assert.equal(got.split(' ').length, 2, `one breakable space, between the date and the time: ${got}`);
      assert.match(got.split(' ')[1]!, /^\d\d:\d\d\u00a0[+-]\d\d:\d\d$/, 'the time never torn from its offset');
    }
    assert.equal(formatStampTime(new Date('2026-07-06T14:33:00Z'), 'en', 'Europe/Berlin').slice(-6), '+02:00');
  });

  for (const [zone, hours] of [
    ['Europe/Moscow', 3],
    ['Asia/Vladivostok', 10],
  ] as const) {
    for (const [style, lang] of [
      ['default', 'ru'],
      ['default', 'en'],
      ['ru-esign', 'ru'],
      ['ru-esign', 'en'],
    ] as const) {
      it(`${zone}: the ${style} ${lang} stamp shows +${two(hours)}:00 and /M the same local time`, async () => {
        const { bytes, result } = await signPdfBuffer(input, {
          key,
          signingTime,
          timeZone: zone,
          stampStyle: style,
          lang,
        });
        const file = path.join(dir, `${zone.replace('/', '-')}-${style}-${lang}.pdf`);
        fs.writeFileSync(file, bytes);
        await assertSignaturesIntact(file, 1);
        const want = expectedTime(signingTime, hours, lang);
        const label = {
          default: { ru: 'Подписано ЭП:', en: 'Digitally signed:' },
          'ru-esign': { ru: 'Подписан:', en: 'Signed:' },
        };
        assert.ok((await pageText(file)).includes(`${label[style][lang]} ${want.stamp}`), await pageText(file));
        assert.equal(lastM(bytes), want.pdf);
        assert.equal(result.timeZone, zone);
      });
    }
  }

  it('refuses a zone Intl does not know, names it, and accepts any letter case', async () => {
    for (const bad of ['Mars/Olympus_Mons', '+03:00', '', ' Europe/Moscow']) {
      await assert.rejects(signPdfBuffer(input, { key, timeZone: bad }), (error: unknown) => {
        assert.ok(error instanceof AppError, String(error));
        assert.equal(error.code, 'INVALID_ARGUMENT');
        assert.ok(error.message.includes(`'${bad}'`), error.message);
        return true;
      });
    }
    assert.equal(checkTimeZone('europe/moscow'), 'Europe/Moscow');
    const { result } = await signPdfBuffer(input, { key, signingTime });
    assert.equal(result.timeZone, systemTimeZone(), 'no zone: the process zone');
  });

  describe('signservice sign --time-zone', () => {
    const p12 = () => ['--p12', pki.identities.cyrillic.p12Path, '--p12-password', pki.identities.cyrillic.p12Password];
    let unsigned: string;
    before(() => {
      unsigned = path.join(dir, 'cli-in.pdf');
      fs.writeFileSync(unsigned, input);
    });

    it('shows the signing time in the named zone, else in TZ', async () => {
      for (const [args, env, hours] of [
        [['--time-zone', 'Asia/Vladivostok'], { TZ: 'Europe/Moscow' }, 10],
        [[], { TZ: 'Europe/Moscow' }, 3],
      ] as const) {
        const out = path.join(dir, `cli-${hours}.pdf`);
        const json = expectJson<{ timeZone: string; signingTime: string }>(
          await runCli(['sign', unsigned, '-o', out, ...p12(), '--lang', 'ru', '--json', ...args], {
            ...CLEAN_ENV,
            ...env,
          }),
        );
        await assertSignaturesIntact(out, 1);
        const want = expectedTime(new Date(json.signingTime), hours, 'ru');
        const text = await pageText(out);
        // The CLI signs "now": compare up to the minute the JSON reports.
        assert.ok(text.includes(`Подписано ЭП: ${want.stamp}`), `${want.stamp} in ${text}`);
        assert.equal(json.timeZone, hours === 10 ? 'Asia/Vladivostok' : 'Europe/Moscow');
      }
    });

    it('refuses an unknown zone in one line, before reading the key, and writes nothing', async () => {
      const out = path.join(dir, 'cli-bad.pdf');
      const r = await runCli(
        ['sign', unsigned, '-o', out, '--p12', '/nonexistent.p12', '--time-zone', 'Moscow'],
        CLEAN_ENV,
      );
      expectOneLineError(r, 64, /Unknown time zone 'Moscow' \(--time-zone\): give an IANA time zone name/, out);
    });
  });
});
