/**
 * The template data of the batch pages under an approval link: the "Waiting for me" list
 * (templates/pages/approval-waiting.hbs), its confirmation step (approval-batch-confirm.hbs) and the
 * progress of a batch (approval-batch-progress.hbs). Numbers are worded with the language's plural rules
 * (shared/i18n/plural.ts); the progress page's script gets its texts as a JSON data block.
 */
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { fillPlaceholders, type Language, messagesFor } from '../../shared/i18n/messages.js';
import { localeOf, plural } from '../../shared/i18n/plural.js';
import type { BatchProgress } from './batch-progress.js';
import type { CertificateChoice } from './certificate-choices.js';
import { certificateLabel } from './certificate-label.js';
import { jsonForScriptBlock } from './sign-dialog-view.js';

/** One document of a list: the request, its deal's title and the link to its own approval page. */
export interface BatchRow {
  request: SignRequest;
  dealTitle: string;
  /** Its own approval page, relative to the current page. */
  openUrl: string;
}

interface Common {
  language: Language;
  formatDate: (date: Date) => string;
}

function rowData(input: Common, row: BatchRow, checked: boolean) {
  const t = messagesFor(input.language).batch;
  const deal = row.dealTitle;
  return {
    id: row.request.id,
    dealLabel: fillPlaceholders(t.dealLabel, { deal }),
    message: row.request.robot?.message ?? '',
    deadlineText: row.request.deadline ? input.formatDate(row.request.deadline) : '',
    openUrl: row.openUrl,
    checked,
  };
}

/** The "Waiting for me" list. */
export function waitingListView(
  input: Common & { signerName: string; rows: BatchRow[]; cap: number; chosen?: ReadonlySet<string>; error?: string },
) {
  const t = messagesFor(input.language).batch;
  const count = input.rows.length;
  return {
    title: t.waitingTitle,
    countText: plural(input.language, t.waitingCount, count, { signer: input.signerName }),
    capText: plural(input.language, t.capNote, input.cap),
    rows: input.rows.map((row) => rowData(input, row, input.chosen?.has(row.request.id) ?? false)),
    hasRows: count > 0,
    error: input.error ?? '',
  };
}

/** The confirmation step: the chosen documents again, the certificate and the code. */
export function confirmView(
  input: Common & {
    rows: BatchRow[];
    reviewToken: string;
    certificates: CertificateChoice[];
    otpRequired: boolean;
    error?: string;
  },
) {
  const messages = messagesFor(input.language);
  const t = messages.batch;
  const count = input.rows.length;
  const certificates = input.certificates.map((c, index) => ({
    id: c.id,
    label: certificateLabel(input.language, c, input.formatDate),
    selected: c.isDefault || (index === 0 && !input.certificates.some((x) => x.isDefault)),
  }));
  return {
    title: plural(input.language, t.confirmTitle, count),
    heading: plural(input.language, t.confirmTitle, count),
    submitText: plural(input.language, t.submit, count),
    rows: input.rows.map((row) => rowData(input, row, true)),
    reviewToken: input.reviewToken,
    certificates,
    hasCertificates: certificates.length > 0,
    otpRequired: input.otpRequired,
    error: input.error ?? '',
  };
}

/** The words of a progress count and its summary, as the page's script computes them too. */
function progressTexts(language: Language, progress: BatchProgress) {
  const t = messagesFor(language).batch;
  const finished = progress.done === progress.total;
  return {
    countText: fillPlaceholders(t.progressCount, { done: progress.done, total: progress.total }),
    summary: finished
      ? [
          plural(language, t.summarySigned, progress.completed),
          ...(progress.failed > 0 ? [plural(language, t.summaryFailed, progress.failed)] : []),
        ].join(' ')
      : '',
  };
}

/** The sentence for one request's state (its failure's reason, localized where the code is known). */
export function stateText(language: Language, item: BatchProgress['items'][number]): string {
  const messages = messagesFor(language);
  const template = (messages.batch.states as Record<string, string>)[item.state] ?? item.state;
  const errors = messages.dialogErrors as Record<string, string>;
  const code = item.failure?.code ?? 'GENERIC';
  const reason = fillPlaceholders(errors[code] ?? errors.GENERIC ?? '', { message: item.failure?.message ?? '' });
  return fillPlaceholders(template, { reason });
}

/** The progress page of a batch. */
export function progressView(
  input: Common & { batchId: string; rows: BatchRow[]; progress: BatchProgress; skipped: number },
) {
  const messages = messagesFor(input.language);
  const t = messages.batch;
  const byId = new Map(input.progress.items.map((item) => [item.id, item]));
  const items = input.rows.map((row) => {
    const item = byId.get(row.request.id) ?? { id: row.request.id, state: row.request.state };
    return {
      ...rowData(input, row, false),
      state: item.state,
      stateText: stateText(input.language, item),
      signedFileUrl: item.signedFileUrl ?? '',
    };
  });
  return {
    title: t.progressTitle,
    batchId: input.batchId,
    total: input.progress.total,
    done: input.progress.done,
    mark: input.progress.mark,
    ...progressTexts(input.language, input.progress),
    skippedText: input.skipped > 0 ? plural(input.language, t.skippedCount, input.skipped) : '',
    items,
    textsJson: jsonForScriptBlock({
      locale: localeOf(input.language),
      states: t.states,
      progressCount: t.progressCount,
      summarySigned: t.summarySigned,
      summaryFailed: t.summaryFailed,
      openSigned: t.openSigned,
      errors: messages.dialogErrors,
    }),
  };
}
