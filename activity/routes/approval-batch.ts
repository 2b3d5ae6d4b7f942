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
import { messagesFor } from '../../shared/i18n/messages.js';
import { plural } from '../../shared/i18n/plural.js';
import { approveSignRequests } from '../../shared/sign-requests/approve-sign-requests.js';
import { checkBatchSize, distinctIds } from '../../shared/sign-requests/batch-limits.js';
import { approvalDocuments } from '../b24/approval-documents.js';
import type { B24UiDeps } from '../b24/b24-ui-deps.js';
import { type BatchPages, batchPages } from '../b24/batch-pages.js';
import { batchProgress, progressMark, waitForBatchChange } from '../b24/batch-progress.js';
import { type BatchReviews, batchReviews } from '../b24/batch-review.js';
import { ownRequests, type SignerOfLink, signerOfLink, stillWaiting } from '../b24/batch-rows.js';
import { CORRECTABLE_REFUSALS } from '../b24/correctable-refusals.js';
import { dialogErrorText } from '../b24/dialog-error-text.js';
import { openApprovalLink } from '../b24/open-approval-link.js';
import { approvalCsrfBinding } from '../b24/opened-link.js';
import { clientGone } from '../b24/request-long-poll.js';
import { csrfGuard } from '../middleware/csrf-guard.js';
import { formBody } from '../middleware/form-body.js';

/** A form with up to BATCH_MAX_DOCUMENTS ids (~40 bytes each) besides the code and the tokens. */
const formLimit = (cap: number) => 8192 + cap * 48;

interface Parts {
  deps: B24UiDeps;
  pages: BatchPages;
  reviews: BatchReviews;
}

/** The signer of the link in the URL (its deadline not passed, unless `evenExpired`). */
async function linkSigner(deps: B24UiDeps, ctx: Context, evenExpired = false): Promise<SignerOfLink> {
  return signerOfLink(deps, await openApprovalLink(deps, ctx), { evenExpired });
}

/** POST waiting/review: the confirmation of the ticked documents that are the signer's and still wait. */
async function reviewBatch({ deps, pages, reviews }: Parts, ctx: Context): Promise<void> {
  const signer = await linkSigner(deps, ctx);
  const ids = distinctIds((ctx.state.form as URLSearchParams).getAll('id'));
  try {
    checkBatchSize(ids.length, deps.batchMaxDocuments);
  } catch (error) {
    await pages.list(ctx, signer, 2, new Set(ids), dialogErrorText(signer.language, AppError.from(error)));
    ctx.status = errorOutcome(error).http;
    return;
  }
  // Every id must be the signer's (else nothing is shown) and still waiting: the confirmation lists no other.
  const waiting = stillWaiting(await ownRequests(deps, signer, ids), deps.now()).map((r) => r.id);
  if (waiting.length === 0) {
    const none = new AppError(ErrorCode.SIGN_REQUEST_NOT_PENDING, 'none of them waits any more');
    await pages.list(ctx, signer, 2, undefined, dialogErrorText(signer.language, none));
    ctx.status = errorOutcome(none).http;
    return;
  }
  const review = { accountId: signer.accountId, memberId: signer.memberId, batchId: randomUUID(), requestIds: waiting };
  await pages.confirm(ctx, signer, waiting, reviews.issue(review, deps.now()));
}

/** POST waiting/sign: exactly the reviewed documents, one code; then to the batch's progress. */
async function signBatch({ deps, pages, reviews }: Parts, ctx: Context): Promise<void> {
  const signer = await linkSigner(deps, ctx);
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
      maxDocuments: deps.batchMaxDocuments,
      actor: signer.actor,
      clientAddress: ctx.ip,
      now: deps.now,
      batchId,
    });
  } catch (error) {
    if (!(error instanceof AppError && CORRECTABLE_REFUSALS.has(error.code))) throw error;
    // The confirmation's button reads "Sign N documents" (plural.ts): the hint names it so.
    const button = plural(signer.language, messagesFor(signer.language).batch.submit, ids.length);
    await pages.confirm(ctx, signer, ids, token, dialogErrorText(signer.language, error, signer.timeZone, button));
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
}

/** The batch's requests of this signer on this portal, in the list's order (soonest deadline, then oldest). */
async function batchRequests(deps: B24UiDeps, signer: SignerOfLink, batchId: string): Promise<SignRequest[]> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(batchId)) return [];
  const found = await deps.store.signRequests.list({ accountId: signer.accountId, batchId }, deps.batchMaxDocuments);
  const deadline = (r: SignRequest) => r.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
  const mine = found.filter((r) => r.document.kind === 'bitrix24' && r.document.memberId === signer.memberId);
  if (mine.length === 0) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, 'No such batch of yours');
  return mine.sort((a, b) => deadline(a) - deadline(b) || a.createdAt.getTime() - b.createdAt.getTime());
}

/** GET batch/:batchId/status?after=MARK: at once without a mark or when it is stale; else one long poll. */
async function batchStatus(deps: B24UiDeps, ctx: Context): Promise<void> {
  const signer = await linkSigner(deps, ctx, true);
  const load = () => batchRequests(deps, signer, ctx.params.batchId as string);
  const first = await load();
  const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
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
}

/** The batch routes of an approval link. */
export function approvalBatchRoutes(deps: B24UiDeps): Router {
  const router = new Router({ prefix: '/b24/approve/:token' });
  const parts: Parts = {
    deps,
    pages: batchPages(deps, approvalDocuments(deps)),
    reviews: batchReviews(deps.masterKey),
  };
  const form = formBody({ limit: formLimit(deps.batchMaxDocuments) });
  const guard = csrfGuard({
    tokens: deps.csrf,
    origin: deps.origin,
    binding: (ctx) => approvalCsrfBinding(ctx.params.token as string),
  });

  router.get('/waiting', async function waitingList(ctx) {
    const opened = await openApprovalLink(deps, ctx);
    if (!opened.usable) parts.pages.expired(ctx, opened);
    else await parts.pages.list(ctx, await signerOfLink(deps, opened), 1);
  });
  router.post('/waiting/review', form, guard, (ctx) => reviewBatch(parts, ctx));
  router.post('/waiting/sign', form, guard, (ctx) => signBatch(parts, ctx));
  router.get('/batch/:batchId', async function batchPage(ctx) {
    const signer = await linkSigner(deps, ctx, true);
    const batchId = ctx.params.batchId as string;
    const skipped = Number(ctx.query.skipped);
    const shown = Number.isSafeInteger(skipped) && skipped > 0 && skipped <= deps.batchMaxDocuments ? skipped : 0;
    await parts.pages.progress(ctx, signer, batchId, await batchRequests(deps, signer, batchId), shown);
  });
  router.get('/batch/:batchId/status', (ctx) => batchStatus(deps, ctx));
  return router;
}
