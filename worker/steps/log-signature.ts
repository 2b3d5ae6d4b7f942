/**
 * Step "log": the sign log entry of the signature, exactly once per request (`appendOnce` with the key
 * `signed:<requestId>`): 'signed' when a one-time code authorised it, 'signed_without_otp' for accounts
 * with OTP disabled. It names the document's hashes before and after, the certificate and the request, and
 * the batch (`details.batchId`) when one code authorised several documents. A fresh run logs in the same
 * store commit as the delivery's record (deliver-document.ts: `saveLogged`); the step itself runs when a
 * resumed request has its delivery recorded but no entry yet (requests stored before both went together).
 */
import path from 'node:path';
import type { SignLogDocument } from '../../shared/domain/sign-log-entry.js';
import { recordStep, type SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { signatureLogInput } from '../../shared/otp/otp-authorizer.js';
import type { PipelineContext, PipelineStep } from '../pipeline-context.js';

/** The dedupe key of a request's signature entry. */
export function signedLogKey(requestId: string): string {
  return `signed:${requestId}`;
}

function documentFacts(request: SignRequest): SignLogDocument {
  const hashes = {
    ...(request.inputSha256 ? { sha256Before: request.inputSha256 } : {}),
    ...(request.signedSha256 ? { sha256After: request.signedSha256 } : {}),
  };
  const doc = request.document;
  if (doc.kind === 'file') return { fileName: path.basename(doc.inputPath), ...hashes };
  return { dealId: String(doc.entityId), fileId: doc.fileId, ...hashes };
}

/**
 * Appends the signature's sign log entry and stores `next` (the stored request `from`, possibly with more
 * steps recorded on it) with the step "log" recorded, in one transaction: both are stored or neither (a lost
 * race rolls back the entry too). `finish` adds what else goes in the same commit (the report and completion
 * of a file request: report-signature.ts `reportWithDelivery`).
 */
export async function saveLogged(
  ctx: PipelineContext,
  next: SignRequest,
  from: SignRequest,
  finish: (logged: SignRequest) => SignRequest = (logged) => logged,
): Promise<SignRequest> {
  const { store } = ctx.deps;
  const account = await store.accounts.get(next.accountId);
  const sign = next.steps.sign;
  if (!account || !sign) {
    throw new AppError(ErrorCode.INTERNAL, `sign request ${next.id} cannot be logged: account or signature missing`);
  }
  const text = (key: string) => (typeof sign.data[key] === 'string' ? (sign.data[key] as string) : undefined);
  const otp = next.steps.authorize?.data.otp === 'disabled' ? 'disabled' : 'used';
  const input = signatureLogInput({
    // The signing time, not now: a retried step builds the same entry.
    time: sign.at,
    account,
    authorization: { otp },
    actor: { role: 'signer' },
    document: documentFacts(next),
    certificate: {
      id: text('certId') ?? next.certId,
      subject: text('certSubject') ?? '',
      serialNumber: text('certSerial') ?? '',
    },
    requestId: next.id,
    // One code authorised the whole batch: every entry of it names the batch.
    ...(next.batchId ? { details: { batchId: next.batchId } } : {}),
  });
  const { entry, saved } = await store.transaction(async () => {
    const appended = await store.signLog.appendOnce(input, signedLogKey(next.id));
    const data = { seq: appended.seq, action: appended.action };
    const logged = recordStep(next, 'log', { at: ctx.now(), data });
    return { entry: appended, saved: await ctx.save(finish(logged), from) };
  });
  ctx.log.info({ step: 'log', seq: entry.seq, action: entry.action }, 'signature logged');
  return saved;
}

export const logSignature: PipelineStep = {
  name: 'log',
  done: (request) => request.steps.log !== undefined,
  run: (ctx, request) => saveLogged(ctx, request, request),
};
