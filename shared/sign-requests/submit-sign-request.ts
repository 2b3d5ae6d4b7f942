/**
 * Submitting signatures the signer asked for directly (CLI `request submit`, the Sign dialog): the
 * certificate is looked up and the account's right to it checked first, then the one-time code — here,
 * synchronously, where it was typed, so a wrong code reaches the person at once and the code is never
 * stored or queued — and only then is each request created in `approved` and its job published to the
 * route of the key's home. The request records how it was authorised (`steps.authorize`). Several documents
 * with one code make a batch: one request each, sharing a batch id, stored in one transaction.
 *
 * Either the requests are stored — then they will complete: if a job cannot be queued now (a full disk, a
 * broker that is down) or the submitter dies before queuing it, the workers' recovery sweep queues it — or
 * nothing is stored and the error says so. A request is never marked failed behind the caller's back.
 */
import { randomUUID } from 'node:crypto';
import type { Account } from '../domain/account.js';
import type { SignLogActor } from '../domain/sign-log-entry.js';
import type { DocumentRef, SignPlacement, SignRequest } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import type { TSignJobV1 } from '../messages/sign-job.js';
import type { OtpAuthorizer } from '../otp/otp-authorizer.js';
import type { JobQueue } from '../queue/queue-port.js';
import type { CertificateKeySource } from '../signing/certificate-key-source.js';
import type { Store } from '../store/store-ports.js';
import { assertMaySign } from './assert-may-sign.js';
import { checkBatchSize } from './batch-limits.js';

export interface SubmitSignRequestOptions {
  store: Store;
  queue: JobQueue;
  keys: CertificateKeySource;
  authorizer: OtpAuthorizer;
  account: Account;
  /** Inventory id of the certificate (or a unique prefix of 8+ hex digits). */
  certId: string;
  /** The one-time code as typed; not needed for an account with OTP disabled. */
  otp: string | undefined;
  document: DocumentRef;
  placement: SignPlacement;
  reason?: string;
  /** The signer's IANA time zone: the stamp shows the signing time there (SignRequest.timeZone). */
  timeZone?: string;
  actor?: SignLogActor;
  clientAddress?: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default crypto.randomUUID */
  newId?: () => string;
  /** Told when the request is stored but its job could not be queued now (the recovery sweep will queue it). */
  onQueueDeferred?: (error: AppError) => void;
}

/** One document of a submission, and the reason shown in its signature. */
export interface SubmittedDocument {
  document: DocumentRef;
  reason?: string;
}

export interface SubmitSignRequestsOptions extends Omit<SubmitSignRequestOptions, 'document' | 'reason'> {
  documents: readonly SubmittedDocument[];
  /** BATCH_MAX_DOCUMENTS. */
  maxDocuments: number;
  /** @default crypto.randomUUID() when there are several documents; one document makes no batch */
  batchId?: string;
}

/** The outcome of a submission: every request, as stored. */
export interface SubmittedBatch {
  batchId?: string;
  requests: SignRequest[];
}

/** Stores every request or none (one transaction). @throws AppError naming the cause, nothing stored */
async function storeAll(o: SubmitSignRequestsOptions, requests: SignRequest[]): Promise<void> {
  try {
    await o.store.transaction(async () => {
      for (const request of requests) await o.store.signRequests.create(request);
    });
  } catch (error) {
    const cause = AppError.from(error);
    throw new AppError(
      cause.code,
      `Nothing was submitted: the request could not be stored (${cause.message}). The one-time code is used up; ` +
        'submit again with a new code once the cause is fixed.',
      { cause: error },
    );
  }
}

/**
 * Checks the certificate and the code once for every document, then stores one request per document (with a
 * shared batch id when there are several) and queues each: each is signed on its own, so one that fails never
 * holds the others. A job that cannot be queued now is queued by the recovery sweep (`onQueueDeferred`).
 * @throws AppError BATCH_TOO_LARGE and everything `submitSignRequest` throws; then no request was stored.
 */
export async function submitSignRequests(o: SubmitSignRequestsOptions): Promise<SubmittedBatch> {
  const now = o.now ?? (() => new Date());
  const newId = o.newId ?? randomUUID;
  checkBatchSize(o.documents.length, o.maxDocuments);
  const ids = o.documents.map(() => newId());
  const certificate = await o.keys.find(o.certId);
  await assertMaySign({ store: o.store, account: o.account, certificate, now });
  const authorization = await o.authorizer.authorizeSignature({
    account: o.account,
    code: o.otp,
    ...(ids.length === 1 ? { requestId: ids[0] } : {}),
    ...(o.actor ? { actor: o.actor } : {}),
    ...(o.clientAddress ? { clientAddress: o.clientAddress } : {}),
  });
  const batchId = o.documents.length > 1 ? (o.batchId ?? randomUUID()) : undefined;
  const at = now();
  const requests = o.documents.map(
    ({ document, reason }, i): SignRequest => ({
      id: ids[i] as string,
      state: 'approved',
      version: 1,
      accountId: o.account.id,
      certId: certificate.entry.id,
      route: certificate.route,
      document,
      placement: o.placement,
      ...(reason ? { reason } : {}),
      ...(o.timeZone ? { timeZone: o.timeZone } : {}),
      otpRequired: authorization.otp === 'used',
      steps: { authorize: { at, data: { otp: authorization.otp } } },
      ...(batchId ? { batchId } : {}),
      createdAt: at,
      updatedAt: at,
    }),
  );
  await storeAll(o, requests);
  for (const request of requests) {
    const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: request.id, route: request.route };
    try {
      await o.queue.publish(request.route, job, { messageId: request.id });
    } catch (error) {
      o.onQueueDeferred?.(AppError.from(error, ErrorCode.QUEUE_UNAVAILABLE));
    }
  }
  return { ...(batchId ? { batchId } : {}), requests };
}

/**
 * Creates and enqueues the request; returns it as stored. Whatever it throws, no request was stored.
 * @throws AppError CERT_UNKNOWN, GRANT_MISSING, CERT_REVOKED/EXPIRED/NOT_YET_VALID, ACCOUNT_DISABLED, the
 *   OTP errors (OTP_INVALID, OTP_REPLAYED, OTP_LOCKED, OTP_NOT_ENROLLED), and the store's errors (FILE_IO,
 *   STORE_UNAVAILABLE) when the request could not be stored (the code was spent: submit again with a new one).
 */
export async function submitSignRequest(o: SubmitSignRequestOptions): Promise<SignRequest> {
  const { document, reason, ...rest } = o;
  const { requests } = await submitSignRequests({
    ...rest,
    documents: [{ document, ...(reason ? { reason } : {}) }],
    maxDocuments: 1,
  });
  return requests[0] as SignRequest;
}
