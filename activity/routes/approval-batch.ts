/**
 * Batch signing from an approval link: the signer's "Waiting for me" list, its confirmation step and the
 * progress of the batch, under /b24/approve/:token. The link proves the signer (its account) and the portal
 * (its request's), so the list shows exactly that account's requests on that portal that wait for it and are
 * not past their deadline (shared/sign-requests/waiting-requests.ts); an expired link shows nothing.
 *
 * - `GET waiting`: the list, each document with a link to its own approval page to read it; ticks.
 * - `POST waiting/review` (form; CSRF token + Origin, csrf-guard.ts): the ticked documents — each checked to
 *   be the signer's and still waiting, at most BATCH_MAX_DOCUMENTS — shown again with the certificate and the
 *   code field, and a review token binding exactly that set (batch-review.ts). Changes nothing.
 * - `POST waiting/sign` (form; CSRF + Origin): the review token must fit the posted ids (else BATCH_CHANGED,
 *   nothing signed), then approve-sign-requests.ts checks each id again, the certificate and the one code, and
 *   approves and queues each document as its own request with the batch id; post/redirect/get to its progress.
 * - `GET batch/:batchId` and `batch/:batchId/status?after=MARK`: the batch's requests of this signer
 *   (store list by account and batch id), one long poll for the whole batch within the per-link limit.
 */
import { randomUUID } from 'node:crypto';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { formatDateTime, messagesFor } from '../../shared/i18n/messages.js';
import type { PageName } from '../../shared/mail/render-template.js';
import { approveSignRequests } from '../../shared/sign-requests/approve-sign-requests.js';
import { checkBatchSize, distinctIds } from '../../shared/sign-requests/batch-limits.js';
import { type ApprovalDocuments, approvalDocuments } from '../b24/approval-documents.js';
import type { B24UiDeps } from '../b24/b24-ui-deps.js';
import { batchProgress, progressMark, waitForBatchChange } from '../b24/batch-progress.js';
import { batchReviews } from '../b24/batch-review.js';
import { batchRows, ownRequests, type SignerOfLink, signerOfLink, stillWaiting } from '../b24/batch-rows.js';
import { confirmView, progressView, waitingListView } from '../b24/batch-view.js';
import { certificateChoices } from '../b24/certificate-choices.js';
import { dialogErrorText } from '../b24/dialog-error-text.js';
import { openApprovalLink } from '../b24/open-approval-link.js';
import { approvalCsrfBinding } from '../b24/opened-link.js';
import { clientGone } from '../b24/request-long-poll.js';
import { csrfGuard } from '../middleware/csrf-guard.js';
import { formBody } from '../middleware/form-body.js';

/** Refusals of the sign POST the signer corrects on the confirmation step itself. */
const CORRECTABLE = new Set<string>([
  ErrorCode.OTP_INVALID,
  ErrorCode.OTP_REPLAYED,
  ErrorCode.OTP_LOCKED,
  ErrorCode.CERT_EXPIRED,
  ErrorCode.CERT_REVOKED,
  ErrorCode.CERT_NOT_YET_VALID,
  ErrorCode.CERT_UNKNOWN,
  ErrorCode.GRANT_MISSING,
  ErrorCode.INVALID_ARGUMENT,
]);

/** A form with up to BATCH_MAX_DOCUMENTS ids (~40 bytes each) besides the code and the tokens. */
const formLimit = (cap: number) => 8192 + cap * 48;

/** The batch routes of an approval link. */
export function approvalBatchRoutes(deps: B24UiDeps): Router {
  const router = new Router({ prefix: '/b24/approve/:token' });
  const docs: ApprovalDocuments = approvalDocuments(deps);
  const reviews = batchReviews(deps.masterKey);
  const cap = deps.batchMaxDocuments;
  const guard = csrfGuard({
    tokens: deps.csrf,
    origin: deps.origin,
    binding: (ctx) => approvalCsrfBinding(ctx.params.token as string),
  });
  const formatDate = (language: SignerOfLink['language']) => (d: Date) => formatDateTime(d, language, deps.timeZone);

  const page = (
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
      script: 'approval-batch.js',
      cspNonce: ctx.state.cspNonce as string,
    });
  };

  const showList = async (ctx: Context, signer: SignerOfLink, depth: number, chosen?: Set<string>, error?: string) => {
    const rows = await batchRows(deps, docs, signer, depth, await ownRequests(deps, signer));
    const view = waitingListView({
      language: signer.language,
      formatDate: formatDate(signer.language),
      signerName: signer.name,
      rows,
      cap,
      ...(chosen ? { chosen } : {}),
      ...(error ? { error } : {}),
    });
    page(ctx, signer, 'approval-waiting', depth, view);
  };

  /** The confirmation step for `ids` (which `token` binds); each id is checked to be the signer's. */
  const showConfirm = async (ctx: Context, signer: SignerOfLink, ids: string[], token: string, error?: string) => {
    const account = await deps.store.accounts.get(signer.accountId);
    const requests = await ownRequests(deps, signer, ids);
    const certificates = account ? await certificateChoices(deps.store, deps.keys, account, deps.now()) : [];
    page(ctx, signer, 'approval-batch-confirm', 2, {
      ...confirmView({
        language: signer.language,
        formatDate: formatDate(signer.language),
        rows: await batchRows(deps, docs, signer, 2, requests),
        reviewToken: token,
        certificates,
        otpRequired: !(account?.otpDisabled ?? false),
        ...(error ? { error } : {}),
      }),
      ids: requests.map((r) => r.id),
      signerName: signer.name,
    });
  };

  router.get('/waiting', async function waitingList(ctx) {
    const opened = await openApprovalLink(deps, ctx);
    if (!opened.usable) {
      ctx.status = 410;
      ctx.type = 'html';
      const text = messagesFor(opened.language).batch.linkExpired;
      ctx.body = deps.renderer.page('b24-message', opened.language, {
        title: messagesFor(opened.language).batch.waitingTitle,
        heading: messagesFor(opened.language).batch.waitingTitle,
        text,
        assetBase: '../../../static',
        cspNonce: ctx.state.cspNonce as string,
      });
      return;
    }
    await showList(ctx, await signerOfLink(deps, opened), 1);
  });

  router.post('/waiting/review', formBody({ limit: formLimit(cap) }), guard, async function reviewBatch(ctx) {
    const signer = await signerOfLink(deps, await openApprovalLink(deps, ctx));
    const ids = distinctIds((ctx.state.form as URLSearchParams).getAll('id'));
    try {
      checkBatchSize(ids.length, cap);
    } catch (error) {
      await showList(ctx, signer, 2, new Set(ids), dialogErrorText(signer.language, AppError.from(error)));
      ctx.status = errorOutcome(error).http;
      return;
    }
    // Every id must be the signer's (else nothing is shown) and still waiting: the confirmation lists no other.
    const waiting = stillWaiting(await ownRequests(deps, signer, ids), deps.now()).map((r) => r.id);
    if (waiting.length === 0) {
      const none = new AppError(ErrorCode.SIGN_REQUEST_NOT_PENDING, 'none of them waits any more');
      await showList(ctx, signer, 2, undefined, dialogErrorText(signer.language, none));
      ctx.status = errorOutcome(none).http;
      return;
    }
    const token = reviews.issue(
      { accountId: signer.accountId, memberId: signer.memberId, batchId: randomUUID(), requestIds: waiting },
      deps.now(),
    );
    await showConfirm(ctx, signer, waiting, token);
  });

  router.post('/waiting/sign', formBody({ limit: formLimit(cap) }), guard, async function signBatch(ctx) {
    const signer = await signerOfLink(deps, await openApprovalLink(deps, ctx));
    const form = ctx.state.form as URLSearchParams;
    const ids = distinctIds(form.getAll('id'));
    const token = form.get('review') ?? '';
    const batchId = reviews.check(token, signer, ids, deps.now());
    let outcome: Awaited<ReturnType<typeof approveSignRequests>>;
    try {
      outcome = await approveSignRequests({
        store: deps.store,
        queue: deps.queue,
        keys: deps.keys,
        authorizer: deps.authorizer,
        signer: { accountId: signer.accountId, memberId: signer.memberId },
        requestIds: ids,
        otp: form.get('otp') ?? undefined,
        ...(form.get('cert') ? { certId: form.get('cert') as string } : {}),
        maxDocuments: cap,
        actor: signer.actor,
        clientAddress: ctx.ip,
        now: deps.now,
        batchId,
      });
    } catch (error) {
      if (!(error instanceof AppError && CORRECTABLE.has(error.code))) throw error;
      await showConfirm(ctx, signer, ids, token, dialogErrorText(signer.language, error, deps.timeZone));
      ctx.status = errorOutcome(error).http;
      return;
    }
    deps.logger.info(
      { batchId, accountId: signer.accountId, approved: outcome.approved.length, skipped: outcome.skipped.length },
      'batch approved from the waiting list',
    );
    ctx.status = 303;
    const skipped = outcome.skipped.length > 0 ? `&skipped=${outcome.skipped.length}` : '';
    ctx.redirect(`../batch/${encodeURIComponent(batchId)}?lang=${signer.language}${skipped}`);
  });

  const batchRequests = async (signer: SignerOfLink, batchId: string) => {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(batchId)) return [];
    const found = await deps.store.signRequests.list({ accountId: signer.accountId, batchId }, cap);
    // In the list's order: the soonest deadline first, then the oldest.
    const deadline = (r: SignRequest) => r.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
    return found
      .filter((r) => r.document.kind === 'bitrix24' && r.document.memberId === signer.memberId)
      .sort((a, b) => deadline(a) - deadline(b) || a.createdAt.getTime() - b.createdAt.getTime());
  };

  router.get('/batch/:batchId', async function batchPage(ctx) {
    const signer = await signerOfLink(deps, await openApprovalLink(deps, ctx), { evenExpired: true });
    const batchId = ctx.params.batchId as string;
    const requests = await batchRequests(signer, batchId);
    if (requests.length === 0) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, 'No such batch of yours');
    const skipped = Number(ctx.query.skipped);
    page(ctx, signer, 'approval-batch-progress', 2, {
      ...progressView({
        language: signer.language,
        formatDate: formatDate(signer.language),
        batchId,
        rows: await batchRows(deps, docs, signer, 2, requests),
        progress: await batchProgress(deps, requests),
        skipped: Number.isSafeInteger(skipped) && skipped > 0 && skipped <= cap ? skipped : 0,
      }),
    });
  });

  router.get('/batch/:batchId/status', async function batchStatus(ctx) {
    const signer = await signerOfLink(deps, await openApprovalLink(deps, ctx), { evenExpired: true });
    const batchId = ctx.params.batchId as string;
    const load = () => batchRequests(signer, batchId);
    const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
    const first = await load();
    if (first.length === 0) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, 'No such batch of yours');
    if (after === undefined || after !== progressMark(first)) {
      ctx.body = await batchProgress(deps, first);
      return;
    }
    const release = deps.polls.acquire(approvalCsrfBinding(signer.token));
    try {
      ctx.body = await batchProgress(deps, await waitForBatchChange(load, after, clientGone(ctx)));
    } finally {
      release();
    }
  });

  return router;
}
