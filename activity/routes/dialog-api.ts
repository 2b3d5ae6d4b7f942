/**
 * The Sign dialog's API, called by its script with the page's signed session (header `X-Dialog-Session`):
 * `POST /b24/dialog/sign` — its Origin and its CSRF token (header `X-CSRF-Token`, bound to the session;
 * csrf-guard.ts) checked first — checks the certificate grant and the one-time code right here (a wrong
 * code is a 401 with a message and the dialog stays usable), creates one request `approved` per chosen file
 * of the deal (several files: one code, one batch id) and queues each (submit-sign-request.ts);
 * `GET /b24/dialog/status/:id?after=STATE` answers as soon as one request has left STATE, and
 * `GET /b24/dialog/progress?ids=A,B&after=MARK` as soon as any of several has moved (batch-progress.ts) —
 * long polls of at most ~20 s within the per-session and total limits of poll-slots.ts — with the link to
 * each signed file once it is completed. Who signs, on which portal and which deal come from the session
 * only, never from the body.
 */
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { DocumentRef, SignPlacement, SignRequest } from '../../shared/domain/sign-request.js';
import { SIGN_REQUEST_STATES } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { formatDateTime } from '../../shared/i18n/date-time.js';
import { STAMP_POSITIONS } from '../../shared/pdf/stamp/stamp-placement.js';
import { checkBatchSize, distinctIds } from '../../shared/sign-requests/batch-limits.js';
import { submitSignRequests } from '../../shared/sign-requests/submit-sign-request.js';
import type { B24UiDeps } from '../b24/b24-ui-deps.js';
import { batchProgress, progressMark, waitForBatchChange } from '../b24/batch-progress.js';
import { type DialogSession, dialogCsrfBinding, dialogFileKey, dialogSessions } from '../b24/dialog-session.js';
import { clientGone, waitForStateChange } from '../b24/request-long-poll.js';
import { signedFileLink } from '../b24/signed-file-link.js';
import { csrfGuard } from '../middleware/csrf-guard.js';
import { jsonBody } from '../middleware/json-body.js';
import { noStore } from '../middleware/security-headers.js';

const ZFieldCode = z.string().regex(/^UF_CRM_[A-Z0-9_]{1,80}$/, 'choose a document');
const ZFileId = z.string().regex(/^\d{1,15}$/, 'choose a document');

/** The files to sign: `files` (one or several), or one file as `fieldCode` + `fileId` (the older form). */
const ZSignBody = z
  .object({
    files: z.array(z.object({ fieldCode: ZFieldCode, fileId: ZFileId })).optional(),
    fieldCode: ZFieldCode.optional(),
    fileId: ZFileId.optional(),
    certId: z.string().min(1, 'choose a certificate').max(128),
    otp: z.string().max(16).optional(),
    visible: z.boolean(),
    page: z.union([z.literal('first'), z.literal('last'), z.number().int().min(1).max(99_999)]),
    position: z.enum(STAMP_POSITIONS),
  })
  .refine((b) => (b.files ? b.files.length > 0 : b.fieldCode !== undefined && b.fileId !== undefined), {
    message: 'choose a document',
    path: ['files'],
  });

/** The distinct files a sign call names. */
function filesOf(body: z.infer<typeof ZSignBody>): { fieldCode: string; fileId: string }[] {
  const files = body.files ?? [{ fieldCode: body.fieldCode as string, fileId: body.fileId as string }];
  const seen = new Set<string>();
  return files.filter((f) => {
    const key = `${f.fieldCode}:${f.fileId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The dialog session a call carries (header X-Dialog-Session). */
const sessionHeader = (ctx: Context): string => ctx.get('x-dialog-session');

function parseSignBody(input: unknown): z.infer<typeof ZSignBody> {
  const parsed = ZSignBody.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new AppError(ErrorCode.INVALID_ARGUMENT, problems.join('; '));
}

/** The session's account, still linked to the same Bitrix24 user on a still installed portal. */
async function signerOf(deps: B24UiDeps, session: DialogSession) {
  const portal = await deps.store.portals.get(session.memberId);
  const account = await deps.store.accounts.get(session.accountId);
  const linked = account?.bitrix?.memberId === session.memberId && account.bitrix.userId === session.bitrixUserId;
  if (portal?.status !== 'installed' || !account || !linked) {
    throw new AppError(ErrorCode.B24_FORBIDDEN, 'This dialog no longer matches your signing account; open it again');
  }
  return account;
}

/** The request, if it belongs to this dialog's signer and deal. */
async function ownRequest(deps: B24UiDeps, session: DialogSession, id: string): Promise<SignRequest> {
  const request = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await deps.store.signRequests.get(id) : undefined;
  const doc = request?.document;
  const mine =
    request?.accountId === session.accountId &&
    doc?.kind === 'bitrix24' &&
    doc.memberId === session.memberId &&
    doc.entityId === session.dealId;
  if (!request || !mine) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request ${id} in this dialog`);
  return request;
}

/** Waits (within the poll limits) until the request leaves `after` or is final. */
async function nextState(deps: B24UiDeps, ctx: Context, session: DialogSession, id: string, after: string) {
  await ownRequest(deps, session, id);
  const release = deps.polls.acquire(dialogCsrfBinding(sessionHeader(ctx)));
  try {
    return await waitForStateChange(() => ownRequest(deps, session, id), after, clientGone(ctx));
  } finally {
    release();
  }
}

/**
 * Runs `submit`; a lockout's end (OTP_LOCKED `details.lockedUntil`) also goes back as `lockedUntilText`, in the
 * signer's zone and language, so the page shows the same time everything else shows (date-time.ts).
 */
async function withLocalLockout<T>(session: DialogSession, submit: () => Promise<T>): Promise<T> {
  try {
    return await submit();
  } catch (error) {
    const until = error instanceof AppError ? error.details?.lockedUntil : undefined;
    if (!(error instanceof AppError) || typeof until !== 'string') throw error;
    const lockedUntilText = formatDateTime(new Date(until), session.language, session.timeZone);
    throw new AppError(error.code, error.message, { details: { ...error.details, lockedUntilText }, cause: error });
  }
}

/**
 * Only files the dialog offered as PDFs, checked before the code: a forged or stale choice (a file that is not
 * a PDF, or one attached after the dialog opened) is refused without spending the signer's one-time code.
 */
function assertOfferedAsPdf(session: DialogSession, files: { fieldCode: string; fileId: string }[]): void {
  const offered = new Set(session.pdfFiles);
  const other = files.find((f) => !offered.has(dialogFileKey(f.fieldCode, f.fileId)));
  if (other) {
    throw new AppError(
      ErrorCode.PDF_NOT_PDF,
      `File ${other.fileId} of field ${other.fieldCode} was not offered as a PDF in this dialog; nothing was signed and the code was not used`,
    );
  }
}

/** The dialog API routes. */
export function dialogApiRoutes(deps: B24UiDeps): Router {
  const router = new Router();
  const sessions = dialogSessions(deps.masterKey);
  const guard = csrfGuard({
    tokens: deps.csrf,
    origin: deps.origin,
    binding: (ctx) => dialogCsrfBinding(sessionHeader(ctx)),
  });

  router.post(
    '/b24/dialog/sign',
    guard,
    jsonBody({ limit: 16_384 + deps.batchMaxDocuments * 80 }),
    async function signFromDialog(ctx) {
      noStore(ctx);
      const session = sessions.verify(sessionHeader(ctx), deps.now());
      const body = parseSignBody(ctx.state.json);
      const account = await signerOf(deps, session);
      const chosen = filesOf(body);
      assertOfferedAsPdf(session, chosen);
      // Only files of the session's deal: the fetch step finds each in that deal's field or fails it.
      const documents = chosen.map(({ fieldCode, fileId }) => ({
        document: {
          kind: 'bitrix24',
          memberId: session.memberId,
          entityTypeId: 2,
          entityId: session.dealId,
          fieldCode,
          fileId,
        } satisfies DocumentRef,
      }));
      const placement: SignPlacement = { page: body.page, position: body.position, visible: body.visible };
      const { batchId, requests } = await withLocalLockout(session, () =>
        submitSignRequests({
          store: deps.store,
          queue: deps.queue,
          keys: deps.keys,
          authorizer: deps.authorizer,
          account,
          certId: body.certId,
          otp: body.otp,
          documents,
          placement,
          maxDocuments: deps.batchMaxDocuments,
          actor: { role: 'signer', memberId: session.memberId, userId: session.bitrixUserId },
          clientAddress: ctx.ip,
          now: deps.now,
          ...(session.timeZone ? { timeZone: session.timeZone } : {}),
        }),
      );
      deps.logger.info(
        {
          requestIds: requests.map((r) => r.id),
          ...(batchId ? { batchId } : {}),
          memberId: session.memberId,
          dealId: session.dealId,
          accountId: account.id,
        },
        'signature submitted from the Sign dialog',
      );
      const first = requests[0] as SignRequest;
      ctx.status = 202;
      ctx.body = {
        id: first.id,
        state: first.state,
        ...(batchId ? { batchId } : {}),
        requests: requests.map((r) => ({
          id: r.id,
          state: r.state,
          ...(r.document.kind === 'bitrix24' ? { fieldCode: r.document.fieldCode, fileId: r.document.fileId } : {}),
        })),
      };
    },
  );

  router.get('/b24/dialog/progress', async function dialogProgress(ctx) {
    noStore(ctx);
    const session = sessions.verify(sessionHeader(ctx), deps.now());
    const ids = typeof ctx.query.ids === 'string' ? distinctIds(ctx.query.ids.split(',')) : [];
    checkBatchSize(ids.length, deps.batchMaxDocuments);
    const load = () => Promise.all(ids.map((id) => ownRequest(deps, session, id)));
    const first = await load();
    const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
    if (after === undefined || after !== progressMark(first)) {
      ctx.body = await batchProgress(deps, first);
      return;
    }
    const release = deps.polls.acquire(dialogCsrfBinding(sessionHeader(ctx)));
    try {
      ctx.body = await batchProgress(deps, await waitForBatchChange(load, after, clientGone(ctx)));
    } finally {
      release();
    }
  });

  router.get('/b24/dialog/status/:id', async function dialogStatus(ctx) {
    noStore(ctx);
    const session = sessions.verify(sessionHeader(ctx), deps.now());
    const after = typeof ctx.query.after === 'string' ? ctx.query.after : undefined;
    const id = ctx.params.id as string;
    const request =
      after !== undefined && (SIGN_REQUEST_STATES as readonly string[]).includes(after)
        ? await nextState(deps, ctx, session, id, after)
        : await ownRequest(deps, session, id);
    const link = request.state === 'completed' ? await signedFileLink(deps, request) : undefined;
    ctx.body = {
      id: request.id,
      state: request.state,
      ...(request.failure ? { failure: request.failure } : {}),
      ...(link ? { signedFileUrl: link } : {}),
    };
  });

  return router;
}
