/**
 * What the verification page shows for one verified document, in the visitor's language and time zone: a
 * summary, then per signature who signed, when (claimed and timestamped), the certificate, intact or not,
 * trusted or not, the PAdES level, the validation data, what later revisions changed, and the stamp's page.
 */
import { fillPlaceholders, formatDateTime, type Language, messagesFor } from '../../shared/i18n/messages.js';
import type { SignatureReport, VerifyReport } from '../../shared/pdf/verify-report.js';

export interface SignatureView {
  id: string;
  heading: string;
  ok: boolean;
  statusClass: 'ok' | 'warn' | 'bad';
  status: string;
  rows: { label: string; value: string }[];
  problems: string[];
  stamp: { src: string; alt: string; caption: string } | undefined;
  stampNote: string | undefined;
}

export interface VerifyView {
  summary: string;
  summaryClass: 'ok' | 'bad';
  timeZoneNote: string;
  signatures: SignatureView[];
}

/** The zone to show times in: the browser's (checked), else the server's. */
export function pickTimeZone(requested: string | undefined): string {
  if (requested && /^[A-Za-z_+\-/0-9]{1,64}$/.test(requested)) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: requested });
      return requested;
    } catch {
      // not a zone Intl knows: fall back
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A day (certificate validity) in the reader's zone; times go through date-time.ts `formatDateTime`. */
function dayFormat(language: Language, timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(language === 'ru' ? 'ru-RU' : 'en-GB', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone,
  });
}

export interface StampPicture {
  page: number;
  png: Buffer | undefined;
}

export function verifyView(
  report: VerifyReport,
  stamps: ReadonlyMap<number, StampPicture | undefined>,
  language: Language,
  timeZone: string,
): VerifyView {
  const t = messagesFor(language).verify;
  const time = (d: Date | undefined) => (d ? formatDateTime(d, language, timeZone) : '—');
  const day = (d: Date) => dayFormat(language, timeZone).format(d);
  const bad = report.signatures.filter((s) => !s.ok);
  const headingOf = (s: SignatureReport) =>
    s.kind === 'document-timestamp'
      ? fillPlaceholders(t.timestampHeading, { index: s.index })
      : fillPlaceholders(t.signatureHeading, {
          index: s.index,
          name: s.signer?.commonName ?? s.signer?.subject ?? '?',
        });
  const signatures = report.signatures.map((s): SignatureView => {
    const status = !s.integrity
      ? { statusClass: 'bad' as const, status: t.statusNotIntact }
      : s.trusted === false
        ? { statusClass: 'warn' as const, status: t.statusIntactUntrusted }
        : s.ok
          ? { statusClass: 'ok' as const, status: t.statusIntactTrusted }
          : { statusClass: 'warn' as const, status: t.statusIntactProblem };
    const picture = stamps.get(s.index);
    return {
      id: `signature-${s.index}`,
      heading: headingOf(s),
      ok: s.ok,
      ...status,
      rows: rowsOf(s, t, time, day),
      problems: s.problems,
      stamp: picture?.png
        ? {
            src: `data:image/png;base64,${picture.png.toString('base64')}`,
            alt: fillPlaceholders(t.stampAlt, { page: picture.page, index: s.index }),
            caption: fillPlaceholders(t.stampCaption, { page: picture.page }),
          }
        : undefined,
      stampNote:
        s.kind === 'document-timestamp'
          ? undefined
          : picture
            ? picture.png
              ? undefined
              : t.renderUnavailable
            : t.invisible,
    };
  });
  return {
    summary:
      bad.length > 0
        ? fillPlaceholders(t.summaryBad, { which: bad.map(headingOf).join('; ') })
        : report.signatures.length === 1
          ? t.summaryOkOne
          : fillPlaceholders(t.summaryOk, { count: report.signatures.length }),
    summaryClass: bad.length > 0 ? 'bad' : 'ok',
    timeZoneNote: fillPlaceholders(t.timeZone, { zone: timeZone }),
    signatures,
  };
}

type Texts = ReturnType<typeof messagesFor>['verify'];

function rowsOf(
  s: SignatureReport,
  t: Texts,
  time: (d: Date | undefined) => string,
  day: (d: Date) => string,
): { label: string; value: string }[] {
  const rows: { label: string; value: string }[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) rows.push({ label, value });
  };
  const signer = s.signer;
  add(s.kind === 'document-timestamp' ? t.tsa : t.signer, signer?.commonName ?? signer?.subject);
  add(t.organization, signer?.organization);
  add(t.email, signer?.email);
  if (s.kind === 'signature') add(t.claimedTime, time(s.signingTime));
  add(t.timestampTime, s.timestamp ? time(s.timestamp.time) : t.noTimestamp);
  add(t.issuer, signer?.issuer);
  add(t.serial, signer?.serialNumber);
  if (signer)
    add(t.certificate, fillPlaceholders(t.validity, { from: day(signer.notBefore), to: day(signer.notAfter) }));
  add(t.intact, s.integrity ? t.yes : t.no);
  if (s.trusted !== undefined) add(t.trusted, s.trusted ? t.trustedYes : t.trustedNo);
  if (s.kind === 'signature') add(t.level, t.levels[s.level]);
  add(
    t.offline,
    s.validationData.completeForOffline
      ? t.offlineComplete
      : fillPlaceholders(t.offlineIncomplete, { missing: s.validationData.missing.join('; ') }),
  );
  add(
    t.judgedAt,
    fillPlaceholders(s.validationTime.basis === 'now' ? t.judgedNow : t.judgedTimestamp, {
      time: time(s.validationTime.time),
    }),
  );
  const later = s.laterChanges;
  add(
    t.later,
    s.coversWholeDocument
      ? t.laterNone
      : later.disallowed.length > 0
        ? fillPlaceholders(t.laterOther, { list: later.disallowed.join('; ') })
        : t.laterAllowed,
  );
  return rows;
}
