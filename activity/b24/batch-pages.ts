/**
 * Renders the batch pages of an approval link (approval-batch.ts routes them): the "Waiting for me" list, the
 * confirmation step with its review token, a batch's progress, and the note for a link past its deadline.
 * Every page carries the link's CSRF token and addresses the link relative to its own depth below
 * /b24/approve/:token, so it works framed by the portal and on its own.
 */
import type { Context } from 'koa';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { formatDateTime, messagesFor } from '../../shared/i18n/messages.js';
import type { PageName } from '../../shared/mail/render-template.js';
import type { ApprovalDocuments } from './approval-documents.js';
import type { B24UiDeps } from './b24-ui-deps.js';
import { batchProgress } from './batch-progress.js';
import { batchRows, ownRequests, type SignerOfLink } from './batch-rows.js';
import { confirmView, progressView, waitingListView } from './batch-view.js';
import { certificateChoices } from './certificate-choices.js';
import { approvalCsrfBinding, type OpenedLink } from './opened-link.js';

export interface BatchPages {
  /** The list of what waits for the signer; `chosen` stay ticked and `error` is shown after a refusal. */
  list(ctx: Context, signer: SignerOfLink, depth: number, chosen?: ReadonlySet<string>, error?: string): Promise<void>;
  /** The confirmation step for `ids` (which `reviewToken` binds); each id is checked to be the signer's. */
  confirm(ctx: Context, signer: SignerOfLink, ids: string[], reviewToken: string, error?: string): Promise<void>;
  /** A batch's progress (`requests` in the list's order), with how many were skipped when it was signed. */
  progress(
    ctx: Context,
    signer: SignerOfLink,
    batchId: string,
    requests: SignRequest[],
    skipped: number,
  ): Promise<void>;
  /** The list of a link past its deadline: nothing, and where to find a newer link (410). */
  expired(ctx: Context, opened: OpenedLink): void;
}

/** The page renderer over the routes' dependencies. */
export function batchPages(deps: B24UiDeps, docs: ApprovalDocuments): BatchPages {
  const formatDate = (signer: SignerOfLink) => (d: Date) => formatDateTime(d, signer.language, signer.timeZone);
  const render = (
    ctx: Context,
    signer: SignerOfLink,
    name: PageName,
    depth: number,
    data: Record<string, unknown> & { title: string },
  ) => {
    const up = '../'.repeat(depth);
    ctx.type = 'html';
    ctx.body = deps.renderer.page(name, signer.language, {
      ...data,
      csrfToken: deps.csrf.tokenFor(approvalCsrfBinding(signer.token)),
      selfBase: `${up}${encodeURIComponent(signer.token)}`,
      assetBase: `${up}../../static`,
      script: 'approval.js',
      cspNonce: ctx.state.cspNonce as string,
    });
  };

  return {
    async list(ctx, signer, depth, chosen, error) {
      const rows = await batchRows(deps, docs, signer, depth, await ownRequests(deps, signer));
      const view = waitingListView({
        language: signer.language,
        formatDate: formatDate(signer),
        signerName: signer.name,
        rows,
        cap: deps.batchMaxDocuments,
        ...(chosen ? { chosen } : {}),
        ...(error ? { error } : {}),
      });
      render(ctx, signer, 'approval-waiting', depth, view);
    },
    async confirm(ctx, signer, ids, reviewToken, error) {
      const account = await deps.store.accounts.get(signer.accountId);
      const requests = await ownRequests(deps, signer, ids);
      const certificates = account ? await certificateChoices(deps.store, deps.keys, account, deps.now()) : [];
      const view = confirmView({
        language: signer.language,
        formatDate: formatDate(signer),
        rows: await batchRows(deps, docs, signer, 2, requests),
        reviewToken,
        certificates,
        otpRequired: !(account?.otpDisabled ?? false),
        ...(error ? { error } : {}),
      });
      render(ctx, signer, 'approval-batch-confirm', 2, { ...view, ids, signerName: signer.name });
    },
    async progress(ctx, signer, batchId, requests, skipped) {
      const view = progressView({
        language: signer.language,
        formatDate: formatDate(signer),
        batchId,
        rows: await batchRows(deps, docs, signer, 2, requests),
        progress: await batchProgress(deps, requests),
        skipped,
      });
      render(ctx, signer, 'approval-batch-progress', 2, view);
    },
    expired(ctx, opened) {
      const t = messagesFor(opened.language).batch;
      ctx.status = 410;
      ctx.type = 'html';
      ctx.body = deps.renderer.page('b24-message', opened.language, {
        title: t.waitingTitle,
        heading: t.waitingTitle,
        text: t.linkExpired,
        assetBase: '../../../static',
        cspNonce: ctx.state.cspNonce as string,
      });
    },
  };
}
