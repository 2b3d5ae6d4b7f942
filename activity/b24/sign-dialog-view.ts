/**
 * The Sign dialog's template data: the deal's files (check boxes: one or several, each signed as its own
 * request, one code for all), the certificates (default preselected, expiry shown),
 * the OTP field or the "OTP is off" note, the page choice and the six position cells (top/bottom ×
 * left/center/right, rendered as radio inputs so the keyboard works natively), the initial description of
 * the choice, and the texts the page's script needs, as a JSON data block (not executed, so the CSP's
 * "no inline script" holds).
 */
import type { Account } from '../../shared/domain/account.js';
import { fillPlaceholders, type Language, messagesFor } from '../../shared/i18n/messages.js';
import { localeOf } from '../../shared/i18n/plural.js';
import { STAMP_POSITIONS } from '../../shared/pdf/stamp/stamp-placement.js';
import type { CertificateChoice } from './certificate-choices.js';
import { certificateLabel } from './certificate-label.js';
import type { NamedDealFile } from './deal-file-choices.js';

/** Defaults of a new dialog: visible stamp, last page, bottom right (what signers expect on a contract). */
export const DIALOG_DEFAULTS = { page: 'last', position: 'bottom-right', visible: true } as const;

export interface DialogViewInput {
  language: Language;
  session: string;
  dealId: number;
  dealTitle: string;
  userName: string;
  account: Account;
  files: NamedDealFile[];
  certificates: CertificateChoice[];
  formatDate: (date: Date) => string;
}

/** JSON for a `<script type="application/json">` block: nothing in it can close the element. */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The description beside the grid for a choice (the script computes the same from the same texts). */
export function describeChoice(
  language: Language,
  choice: { visible: boolean; position: string; page: 'first' | 'last' | number },
): string {
  const t = messagesFor(language).dialog;
  if (!choice.visible) return t.describeInvisible;
  const page =
    choice.page === 'first'
      ? t.onFirstPage
      : choice.page === 'last'
        ? t.onLastPage
        : fillPlaceholders(t.onPage, { number: choice.page });
  const position = t.positionPhrases[choice.position as keyof typeof t.positionPhrases] ?? choice.position;
  return fillPlaceholders(t.describe, { position, page });
}

/** The data of templates/pages/sign-dialog.hbs. */
export function dialogView(input: DialogViewInput): Record<string, unknown> & { title: string } {
  const messages = messagesFor(input.language);
  const t = messages.dialog;
  const c = messages.choices;
  const firstPdf = input.files.findIndex((f) => f.kind === 'pdf');
  const files = input.files.map((f, index) => {
    const name = f.fileName ?? fillPlaceholders(c.fileNoName, { id: f.fileId, field: f.fieldLabel });
    return {
      value: `${f.fieldCode}:${f.fileId}`,
      label:
        f.kind === 'pdf' ? name : fillPlaceholders(f.kind === 'not-pdf' ? c.fileNotPdf : c.fileUnreadable, { name }),
      field: f.fieldLabel,
      disabled: f.kind !== 'pdf',
      selected: index === firstPdf,
    };
  });
  const pdfCount = input.files.filter((f) => f.kind === 'pdf').length;
  const b = messages.batch;
  const certificates = input.certificates.map((c, index) => ({
    id: c.id,
    label: certificateLabel(input.language, c, input.formatDate),
    selected: index === 0,
  }));
  const positions = STAMP_POSITIONS.map((value) => ({
    value,
    label: t.positions[value],
    checked: value === DIALOG_DEFAULTS.position,
  }));
  return {
    title: t.title,
    session: input.session,
    dealId: input.dealId,
    dealTitle: input.dealTitle,
    userName: input.userName,
    login: input.account.login,
    files,
    hasFiles: files.length > 0,
    codeAfterChoice: c.codeAfterChoice,
    certificates,
    hasCertificates: certificates.length > 0,
    canSign: pdfCount > 0 && certificates.length > 0,
    otpRequired: !input.account.otpDisabled,
    topPositions: positions.slice(0, 3),
    bottomPositions: positions.slice(3),
    description: describeChoice(input.language, DIALOG_DEFAULTS),
    textsJson: jsonForScriptBlock({
      describe: t.describe,
      describeInvisible: t.describeInvisible,
      onFirstPage: t.onFirstPage,
      onLastPage: t.onLastPage,
      onPage: t.onPage,
      positionPhrases: t.positionPhrases,
      progress: t.progress,
      success: t.success,
      openSigned: t.openSigned,
      errors: messages.dialogErrors,
      locale: localeOf(input.language),
      // Several files: each one's state in a list, the count, and the summary (plural.ts forms).
      states: b.states,
      progressCount: messages.dialogBatch.progressCount,
      successMany: messages.dialogBatch.successMany,
      partly: messages.dialogBatch.partly,
      noneChosen: messages.dialogBatch.noneChosen,
    }),
  };
}
