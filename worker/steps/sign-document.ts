/**
 * Step "sign": only while the request has no `signedSha256`. Checks once more that the account may sign
 * with the certificate (grant, validity, account enabled), records the signing attempt (`signAttempts`,
 * at most the queue's attempts: a request whose signatures keep getting lost fails instead of being signed
 * again and again), opens the key where it lives (token or internal CA), signs (PAdES, incremental update)
 * and stores the signed bytes in the BlobStore BEFORE recording their hash and the state `signed`. A crash
 * after the put and before the record only leaves a blob behind (the recovery sweep removes it); a crash
 * after the record is resumed by delivering exactly those bytes, never by signing again.
 */
import { recordStep, type SignRequest, type StepResult, transition } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import { signPdfBufferAtLevel } from '../../shared/pdf/long-term/sign-at-level.js';
import { isTimeZone } from '../../shared/pdf/stamp/stamp-time.js';
import { assertMaySign } from '../../shared/sign-requests/assert-may-sign.js';
import { type PipelineContext, type PipelineStep, RequestChanged, signedBlobKey } from '../pipeline-context.js';
import { type HashedInput, hashInput } from './fetch-document.js';

/** The input bytes: those fetched in this run, or fetched again and checked against the recorded hash. */
async function inputOf(ctx: PipelineContext, request: SignRequest): Promise<HashedInput> {
  if (ctx.input) return ctx.input;
  const input = hashInput(await ctx.deps.documents.fetch(request.document));
  if (input.sha256 !== request.inputSha256) {
    throw new AppError(
      ErrorCode.DOCUMENT_CHANGED,
      `The document of sign request ${request.id} changed after it was fetched for signing; submit it again`,
    );
  }
  ctx.input = input;
  return input;
}

/**
 * The zone of the stamp's time: the request's (the signer's) when Intl knows it, else none, which means the
 * service's TZ. A zone Intl does not know is logged rather than failing a signature the signer approved: the
 * stamp's time is then still right, only in the service's zone.
 */
function stampTimeZone(ctx: PipelineContext, request: SignRequest): string | undefined {
  if (request.timeZone === undefined || isTimeZone(request.timeZone)) return request.timeZone;
  ctx.log.warn({ step: 'sign', timeZone: request.timeZone }, "unknown time zone; the stamp shows the service's");
  return undefined;
}

/**
 * Records one more signing attempt before the key is used (the fetch step of this run recorded the first).
 * @throws AppError SIGN_ATTEMPTS_EXHAUSTED when the request was signed as often as the queue has attempts.
 */
async function reserveAttempt(ctx: PipelineContext, request: SignRequest): Promise<SignRequest> {
  if (ctx.signAttemptReserved) {
    ctx.signAttemptReserved = false;
    return request;
  }
  const attempt = (request.signAttempts ?? 0) + 1;
  if (attempt > ctx.deps.maxAttempts) {
    throw new AppError(
      ErrorCode.SIGN_ATTEMPTS_EXHAUSTED,
      `Sign request ${request.id} was signed ${attempt - 1} times without the result being stored ` +
        '(is the data directory full or failing?); it is not signed again. Submit it again once the cause is fixed.',
    );
  }
  return ctx.save({ ...request, signAttempts: attempt, updatedAt: ctx.now() }, request);
}

/**
 * Records the signature (state `signed`, its hash) on the stored request. Another worker that began signing
 * meanwhile only bumped `signAttempts`: that does not void a signature already made, so it is recorded on
 * the newer version. If someone recorded a signature first, ours is never delivered and its blob goes —
 * unless theirs came out byte for byte the same (RSA signatures are deterministic and /M has whole seconds).
 */
async function recordSignature(
  ctx: PipelineContext,
  request: SignRequest,
  sign: StepResult,
  blobKey: string,
): Promise<SignRequest> {
  const sha256 = sign.data.sha256 as string;
  let base = request;
  for (let round = 0; round < 5; round++) {
    try {
      return await ctx.save(
        transition(recordStep(base, 'sign', sign), 'signed', sign.at, { signedSha256: sha256 }),
        base,
      );
    } catch (error) {
      if (!(error instanceof RequestChanged)) throw error;
      const stored = await ctx.deps.store.signRequests.get(request.id);
      const stillUnsigned = stored?.state === 'signing' && stored.signedSha256 === undefined;
      if (stored && stillUnsigned && stored.inputSha256 === request.inputSha256) {
        base = stored;
        continue;
      }
      if (stored?.signedSha256 !== sha256) await ctx.deps.store.blobs.delete(blobKey).catch(() => false);
      throw error;
    }
  }
  throw new RequestChanged(request.id);
}

export const signDocument: PipelineStep = {
  name: 'sign',
  done: (request) => request.signedSha256 !== undefined,
  async run(ctx, current) {
    const { store, keys, stampLanguage, levelFor } = ctx.deps;
    const account = await store.accounts.get(current.accountId);
    if (!account) {
      throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `The account of sign request ${current.id} no longer exists`);
    }
    const certificate = await keys.find(current.certId);
    await assertMaySign({ store, account, certificate, now: ctx.now });
    const input = await inputOf(ctx, current);
    const request = await reserveAttempt(ctx, current);
    const { key, internalUse } = await certificate.openKey();
    const signingTime = ctx.now();
    const timeZone = stampTimeZone(ctx, request);
    const sources = levelFor?.(certificate.entry) ?? { level: 'B-B' as const };
    ctx.log.info(
      { step: 'sign', signAttempt: request.signAttempts, certId: certificate.entry.id },
      'signing the document',
    );
    // A TSA or revocation source that fails throws a transient error: the job waits and is retried.
    const { bytes, result } = await signPdfBufferAtLevel(
      input.bytes,
      {
        key,
        // The fetch's hash state: the engine continues it instead of hashing the input again.
        inputHash: input.hash,
        signingTime,
        page: request.placement.page,
        position: request.placement.position,
        visible: request.placement.visible,
        internalUse,
        ...(timeZone ? { timeZone } : {}),
        ...(request.reason ? { reason: request.reason } : {}),
        ...(stampLanguage ? { lang: stampLanguage } : {}),
        // Russian recipients expect the "ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ" convention.
        stampStyle: stampLanguage === 'ru' ? 'ru-esign' : 'default',
      },
      sources,
    );
    const blobKey = signedBlobKey(request.id, result.sha256);
    await store.blobs.put(blobKey, bytes);
    const { entry } = certificate;
    const sign: StepResult = {
      at: signingTime,
      data: {
        sha256: result.sha256,
        bytes: bytes.length,
        fieldName: result.fieldName,
        pageNumber: result.pageNumber,
        certId: entry.id,
        certSubject: entry.subject,
        certSerial: entry.serialNumber,
        internalUse,
        level: sources.level,
        timeZone: result.timeZone,
      },
    };
    const saved = await recordSignature(ctx, request, sign, blobKey);
    ctx.signed = { sha256: result.sha256, bytes };
    ctx.log.info({ step: 'sign', signedSha256: result.sha256, certId: entry.id }, 'document signed');
    return saved;
  },
};
