/**
 * The signer's answer to a robot request: approve (with a one-time code) or reject. Approving checks, in
 * order: the deadline (too late: the request expires and the workflow is told so), that the request still
 * waits, the certificate (the one chosen now, else the step's preselection, else the account's default or
 * only grant), the account's right to it, then the code — here, where it was typed, so a wrong code reaches
 * the person at once and is never stored. Then `awaiting_signer → approved` with compare-and-set and the job
 * goes to the route of the key's home. A certificate the administrator has to renew (expired, revoked, not
 * yet valid) that the signer did not pick by hand fails the request: the workflow is told why at once
 * instead of waiting for its deadline. Rejecting from the approval page needs the one-time code too (the
 * link alone proves only that someone holds the link); an operator's `request reject` does not.
 */

import type { SignLogActor } from '../domain/sign-log-entry.js';
import { FINAL_STATES, type SignRequest, transition } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import type { TSignJobV1 } from '../messages/sign-job.js';
import type { OtpAuthorizer, SignatureAuthorization } from '../otp/otp-authorizer.js';
import type { JobQueue } from '../queue/queue-port.js';
import type { CertificateKeySource, FoundCertificate } from '../signing/certificate-key-source.js';
import type { Store } from '../store/store-ports.js';
import { assertMaySign } from './assert-may-sign.js';
import { expireSignRequest, queueRobotFinish } from './expire-sign-request.js';
import { answerWhileWaiting } from './while-waiting.js';

export interface AnswerSignRequestOptions {
  store: Store;
  queue: JobQueue;
  requestId: string;
  actor?: SignLogActor;
  /** @default () => new Date() */
  now?: () => Date;
}

/** What approving and failing a request needs besides the request itself. */
type Writers = Pick<AnswerSignRequestOptions, 'store' | 'queue' | 'now'>;

export interface ApproveSignRequestOptions extends AnswerSignRequestOptions {
  keys: CertificateKeySource;
  authorizer: OtpAuthorizer;
  otp: string | undefined;
  /** The certificate the signer picked; @default the step's preselection, else the default or only grant. */
  certId?: string;
  clientAddress?: string;
}

/** The signer's own proof for a rejection: the one-time code, checked like an approval's. */
export interface RejectAuthorization {
  authorizer: OtpAuthorizer;
  otp: string | undefined;
  clientAddress?: string;
}

/** Errors an administrator has to fix: the request fails rather than wait for its deadline. */
const CERTIFICATE_PROBLEMS = new Set<string>([
  ErrorCode.CERT_EXPIRED,
  ErrorCode.CERT_REVOKED,
  ErrorCode.CERT_NOT_YET_VALID,
]);

/** The request if it still waits for its signer; expires it (and throws) when the deadline has passed. */
async function pendingRequest(o: AnswerSignRequestOptions, now: Date): Promise<SignRequest> {
  const request = await o.store.signRequests.get(o.requestId);
  if (!request) throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request with id ${o.requestId}`);
  if (await expireSignRequest(o, request, now)) {
    throw new AppError(
      ErrorCode.SIGN_REQUEST_EXPIRED,
      `Sign request ${request.id} expired on ${request.deadline?.toISOString()}; the workflow has been told`,
    );
  }
  if (request.state !== 'awaiting_signer') {
    const what = FINAL_STATES.has(request.state) ? `is ${request.state}` : `was answered already (${request.state})`;
    throw new AppError(ErrorCode.SIGN_REQUEST_NOT_PENDING, `Sign request ${request.id} ${what}`);
  }
  return request;
}

async function chooseCertificate(o: ApproveSignRequestOptions, request: SignRequest): Promise<string> {
  if (o.certId) return o.certId;
  if (request.certId) return request.certId;
  const grants = await o.store.grants.listForAccount(request.accountId);
  const chosen = grants.find((g) => g.isDefault) ?? (grants.length === 1 ? grants[0] : undefined);
  if (!chosen) {
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      grants.length === 0
        ? 'No certificate is granted to this account; ask an administrator for a grant'
        : 'Several certificates are granted and none is the default: choose one (--cert ID)',
    );
  }
  return chosen.certId;
}

/** Marks the request failed (a certificate problem, a queue that refused the job) and queues the robot's finish. */
async function failRequest(o: Writers, request: SignRequest, error: AppError, now: Date) {
  const failed = transition(request, 'failed', now, { failure: { code: error.code, message: error.message } });
  const stored = await o.store.transaction(async () => {
    if (!(await o.store.signRequests.update(failed, request.version))) return false;
    await o.store.signLog.appendOnce(
      {
        time: now,
        action: 'failed',
        actor: { accountId: request.accountId, role: 'system' },
        outcome: 'error',
        requestId: request.id,
        details: {
          code: error.code,
          certId: request.certId,
          ...(request.batchId ? { batchId: request.batchId } : {}),
        },
      },
      `failed:${request.id}`,
    );
    return true;
  });
  if (!stored) return;
  await queueRobotFinish(o.queue, request.id, 'failed').catch(() => undefined);
}

/** Finds the certificate and checks the account may sign with it now. */
async function checkedCertificate(o: ApproveSignRequestOptions, request: SignRequest, now: Date) {
  const account = await o.store.accounts.get(request.accountId);
  if (!account) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `The account of sign request ${request.id} is gone`);
  const certificate: FoundCertificate = await o.keys.find(await chooseCertificate(o, request));
  try {
    await assertMaySign({ store: o.store, account, certificate, now: () => now });
  } catch (error) {
    if (error instanceof AppError && CERTIFICATE_PROBLEMS.has(error.code) && !o.certId) {
      await failRequest(o, request, error, now);
    }
    throw error;
  }
  return { account, certificate };
}

/**
 * `awaiting_signer → approved` for an authorised request, with compare-and-set, and its job on the route of
 * the key's home. Returns the stored request, or undefined when the request changed meanwhile (the caller
 * reloads and decides again). A queue that refuses the job fails the request (QUEUE_UNAVAILABLE is thrown).
 */
export async function approveAndQueue(
  o: Writers,
  request: SignRequest,
  approval: { certificate: FoundCertificate; authorization: SignatureAuthorization; batchId?: string },
): Promise<SignRequest | undefined> {
  const now = o.now ?? (() => new Date());
  const at = now();
  const { certificate, authorization, batchId } = approval;
  const approved = transition(request, 'approved', at, {
    certId: certificate.entry.id,
    route: certificate.route,
    otpRequired: authorization.otp === 'used',
    steps: { ...request.steps, authorize: { at, data: { otp: authorization.otp } } },
    ...(batchId ? { batchId } : {}),
  });
  if (!(await o.store.signRequests.update(approved, request.version))) return undefined;
  const stored = { ...approved, version: request.version + 1 };
  const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: stored.id, route: stored.route };
  try {
    await o.queue.publish(stored.route, job, { messageId: `${stored.id}.approved` });
  } catch (error) {
    const failure = new AppError(
      ErrorCode.QUEUE_UNAVAILABLE,
      `the job could not be queued: ${(error as Error).message}`,
    );
    await failRequest(o, stored, failure, now());
    throw failure;
  }
  return stored;
}

/**
 * Approves and queues the request; returns it as stored.
 * @throws AppError SIGN_REQUEST_NOT_FOUND / _NOT_PENDING / _EXPIRED, INVALID_ARGUMENT (no certificate
 *   chosen), CERT_*, GRANT_MISSING, ACCOUNT_DISABLED, the OTP errors, QUEUE_UNAVAILABLE.
 */
export async function approveSignRequest(o: ApproveSignRequestOptions): Promise<SignRequest> {
  const now = o.now ?? (() => new Date());
  const request = await pendingRequest(o, now());
  const { account, certificate } = await checkedCertificate(o, request, now());
  const authorization = await o.authorizer.authorizeSignature({
    account,
    code: o.otp,
    requestId: request.id,
    ...(o.actor ? { actor: o.actor } : {}),
    ...(o.clientAddress ? { clientAddress: o.clientAddress } : {}),
  });
  const outcome = await answerWhileWaiting(o.store, request, (current) =>
    approveAndQueue(o, current, { certificate, authorization }),
  );
  if (!outcome.stored) throw answeredMeanwhile(request.id, outcome.last);
  return outcome.stored;
}

function answeredMeanwhile(id: string, last: SignRequest | undefined): AppError {
  return new AppError(
    ErrorCode.SIGN_REQUEST_NOT_PENDING,
    `Sign request ${id} was answered meanwhile (${last ? last.state : 'it is gone'})`,
  );
}

/** Checks the signer's code for a rejection; the account's "OTP disabled" switch applies as for signing. */
async function authorizeRejection(o: AnswerSignRequestOptions, request: SignRequest, auth: RejectAuthorization) {
  const account = await o.store.accounts.get(request.accountId);
  if (!account) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `The account of sign request ${request.id} is gone`);
  return auth.authorizer.authorizeSignature({
    account,
    code: auth.otp,
    requestId: request.id,
    ...(o.actor ? { actor: o.actor } : {}),
    ...(auth.clientAddress ? { clientAddress: auth.clientAddress } : {}),
  });
}

/**
 * Rejects the request with the signer's reason; the workflow is told Result=rejected. With `authorization`
 * (the approval page) the signer's one-time code is checked first, exactly as for approving.
 * @throws AppError SIGN_REQUEST_NOT_FOUND / _NOT_PENDING / _EXPIRED, INVALID_ARGUMENT (no reason), the OTP errors
 */
export async function rejectSignRequest(
  o: AnswerSignRequestOptions & { reason: string; authorization?: RejectAuthorization },
): Promise<SignRequest> {
  const now = o.now ?? (() => new Date());
  const reason = o.reason.trim().slice(0, 1000);
  if (!reason) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'Say why the document is rejected');
  const request = await pendingRequest(o, now());
  const otp = o.authorization ? (await authorizeRejection(o, request, o.authorization)).otp : undefined;
  const at = now();
  const outcome = await answerWhileWaiting(o.store, request, (current) =>
    storeRejection(o, current, { at, reason, ...(otp ? { otp } : {}) }),
  );
  if (!outcome.stored) throw answeredMeanwhile(request.id, outcome.last);
  await queueRobotFinish(o.queue, request.id, 'rejected').catch(() => undefined);
  return outcome.stored;
}

/** `awaiting_signer → rejected` with its sign-log entry, in one transaction; undefined if the version moved. */
async function storeRejection(
  o: AnswerSignRequestOptions,
  request: SignRequest,
  answer: { at: Date; reason: string; otp?: SignatureAuthorization['otp'] },
): Promise<SignRequest | undefined> {
  const { at, reason, otp } = answer;
  const rejected = transition(request, 'rejected', at, { failure: { code: 'REJECTED', message: reason } });
  return o.store.transaction(async () => {
    if (!(await o.store.signRequests.update(rejected, request.version))) return undefined;
    await o.store.signLog.appendOnce(
      {
        time: at,
        action: 'rejected',
        actor: { accountId: request.accountId, role: 'signer', ...o.actor },
        outcome: 'ok',
        requestId: request.id,
        ...(otp ? { otp } : {}),
        details: { reason },
      },
      `rejected:${request.id}`,
    );
    return { ...rejected, version: request.version + 1 };
  });
}
