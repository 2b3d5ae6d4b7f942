/**
 * The approval page's template data: for a request that still waits for its signer, the deal, the
 * workflow's message, the deadline, the preview (page images or the download link, and why), the
 * certificate dropdown, the OTP field or the "OTP is off" note, and the two actions; for any other request,
 * its outcome only (signed when, rejected why, expired at the deadline, failed how, or still being signed).
 */
import type { Account } from '../../shared/domain/account.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { fillPlaceholders, type Language, messagesFor } from '../../shared/i18n/messages.js';
import type { CertificateChoice } from './certificate-choices.js';
import { certificateLabel } from './certificate-label.js';

export interface ApprovalViewInput {
  language: Language;
  request: SignRequest;
  account: Account | undefined;
  /** Whether the link still allows answering (before the deadline). */
  usable: boolean;
  dealTitle: string;
  signerName: string;
  certificates: CertificateChoice[];
  preview: { pages: number[]; total: number } | { unavailable: true } | undefined;
  error?: ApprovalFormError;
  formatDate: (date: Date) => string;
}

/** The outcome text of a request that cannot be answered any more. */
export function outcomeText(input: ApprovalViewInput): { kind: string; text: string } {
  const t = messagesFor(input.language).approval.done;
  const r = input.request;
  const at = input.formatDate(r.updatedAt);
  switch (r.state) {
    case 'completed':
      return { kind: 'success', text: fillPlaceholders(t.completed, { at }) };
    case 'rejected':
      return { kind: 'warning', text: fillPlaceholders(t.rejected, { at, reason: r.failure?.message ?? '' }) };
    case 'failed':
      return { kind: 'error', text: fillPlaceholders(t.failed, { message: r.failure?.message ?? '' }) };
    case 'expired':
      return {
        kind: 'warning',
        text: fillPlaceholders(t.expired, { deadline: input.formatDate(r.deadline ?? r.updatedAt) }),
      };
    case 'awaiting_signer':
    case 'received':
      // Only reached when the link's deadline has passed before the sweep expired the request.
      return {
        kind: 'warning',
        text: fillPlaceholders(t.expired, { deadline: input.formatDate(r.deadline ?? r.updatedAt) }),
      };
    default:
      return { kind: 'progress', text: t.inProgress };
  }
}

/** A refusal the person can correct (a wrong code, a certificate no longer granted), and the form it answers. */
export interface ApprovalFormError {
  text: string;
  form: 'approve' | 'reject';
}

/** The data of templates/pages/approval.hbs. */
export function approvalView(input: ApprovalViewInput): Record<string, unknown> & { title: string } {
  const t = messagesFor(input.language);
  const r = input.request;
  const open = input.usable && r.state === 'awaiting_signer';
  const outcome = open ? undefined : outcomeText(input);
  const preview = input.preview;
  const previewPages = preview && 'pages' in preview ? preview.pages : [];
  const certificates = input.certificates.map((c) => ({
    id: c.id,
    label: certificateLabel(input.language, c, input.formatDate),
    selected: r.certId ? r.certId === c.id || c.id.startsWith(r.certId.toLowerCase()) : c.isDefault,
  }));
  if (certificates.length > 0 && !certificates.some((c) => c.selected))
    (certificates[0] as { selected: boolean }).selected = true;
  return {
    title: t.approval.title,
    open,
    outcomeKind: outcome?.kind ?? '',
    outcomeText: outcome?.text ?? '',
    inProgress: outcome?.kind === 'progress',
    state: r.state,
    dealTitle: input.dealTitle,
    signerName: input.signerName,
    message: r.robot?.message ?? '',
    deadlineText: r.deadline ? input.formatDate(r.deadline) : '',
    previewPages: previewPages.map((n) => ({ number: n, alt: fillPlaceholders(t.approval.pageAlt, { number: n }) })),
    previewMore:
      preview && 'pages' in preview && preview.total > preview.pages.length
        ? fillPlaceholders(t.approval.previewMore, { shown: preview.pages.length, total: preview.total })
        : '',
    previewUnavailable: preview !== undefined && 'unavailable' in preview,
    certificates,
    hasCertificates: certificates.length > 0,
    otpRequired: !(input.account?.otpDisabled ?? false),
    approveError: input.error?.form === 'approve' ? input.error.text : '',
    rejectError: input.error?.form === 'reject' ? input.error.text : '',
  };
}
