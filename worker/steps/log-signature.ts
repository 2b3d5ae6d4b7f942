/**
 * Step "log": the sign log entry of the signature, exactly once per request (`appendOnce` with the key
 * `signed:<requestId>`): 'signed' when a one-time code authorised it, 'signed_without_otp' for accounts
 * with OTP disabled. It names the document's hashes before and after, the certificate and the request, and
 * the batch (`details.batchId`) when one code authorised several documents.
 */
import path from 'node:path';
import type { SignLogDocument } from '../../shared/domain/sign-log-entry.js';
import { recordStep, type SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { signatureLogInput } from '../../shared/otp/otp-authorizer.js';
import type { PipelineStep } from '../pipeline-context.js';

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

export const logSignature: PipelineStep = {
  name: 'log',
  done: (request) => request.steps.log !== undefined,
  async run(ctx, request) {
    const { store } = ctx.deps;
    const account = await store.accounts.get(request.accountId);
    const sign = request.steps.sign;
    if (!account || !sign) {
      throw new AppError(
        ErrorCode.INTERNAL,
        `sign request ${request.id} cannot be logged: account or signature missing`,
      );
    }
    const text = (key: string) => (typeof sign.data[key] === 'string' ? (sign.data[key] as string) : undefined);
    const otp = request.steps.authorize?.data.otp === 'disabled' ? 'disabled' : 'used';
    const input = signatureLogInput({
      // The signing time, not now: a retried step builds the same entry.
      time: sign.at,
      account,
      authorization: { otp },
      actor: { role: 'signer' },
      document: documentFacts(request),
      certificate: {
        id: text('certId') ?? request.certId,
        subject: text('certSubject') ?? '',
        serialNumber: text('certSerial') ?? '',
      },
      requestId: request.id,
      // One code authorised the whole batch: every entry of it names the batch.
      ...(request.batchId ? { details: { batchId: request.batchId } } : {}),
    });
    // One transaction: the entry and the step record are stored together (a lost race rolls back both).
    const { entry, saved } = await store.transaction(async () => {
      const appended = await store.signLog.appendOnce(input, signedLogKey(request.id));
      const data = { seq: appended.seq, action: appended.action };
      return { entry: appended, saved: await ctx.save(recordStep(request, 'log', { at: ctx.now(), data }), request) };
    });
    ctx.log.info({ step: 'log', seq: entry.seq, action: entry.action }, 'signature logged');
    return saved;
  },
};
