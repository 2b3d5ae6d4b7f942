/**
 * Submitting a signature the signer asked for directly (CLI `request submit`, later the Sign dialog): the
 * certificate is looked up and the account's right to it checked first, then the one-time code — here,
 * synchronously, where it was typed, so a wrong code reaches the person at once and the code is never
 * stored or queued — and only then is the request created in `approved` and its job published to the
 * route of the key's home. The request records how it was authorised (`steps.authorize`).
 *
 * Either the request is stored — then it will complete: if its job cannot be queued now (a full disk, a
 * broker that is down) or the submitter dies before queuing it, the workers' recovery sweep queues it — or
 * nothing is stored and the error says so. The request is never marked failed behind the caller's back.
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
  actor?: SignLogActor;
  clientAddress?: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default crypto.randomUUID */
  newId?: () => string;
  /** Told when the request is stored but its job could not be queued now (the recovery sweep will queue it). */
  onQueueDeferred?: (error: AppError) => void;
}

/**
 * Creates and enqueues the request; returns it as stored. Whatever it throws, no request was stored.
 * @throws AppError CERT_UNKNOWN, GRANT_MISSING, CERT_REVOKED/EXPIRED/NOT_YET_VALID, ACCOUNT_DISABLED, the
 *   OTP errors (OTP_INVALID, OTP_REPLAYED, OTP_LOCKED, OTP_NOT_ENROLLED), and the store's errors (FILE_IO,
 *   STORE_UNAVAILABLE) when the request could not be stored (the code was spent: submit again with a new one).
 */
export async function submitSignRequest(o: SubmitSignRequestOptions): Promise<SignRequest> {
  const now = o.now ?? (() => new Date());
  const id = (o.newId ?? randomUUID)();
  const certificate = await o.keys.find(o.certId);
  await assertMaySign({ store: o.store, account: o.account, certificate, now });
  const authorization = await o.authorizer.authorizeSignature({
    account: o.account,
    code: o.otp,
    requestId: id,
    ...(o.actor ? { actor: o.actor } : {}),
    ...(o.clientAddress ? { clientAddress: o.clientAddress } : {}),
  });
  const at = now();
  const request: SignRequest = {
    id,
    state: 'approved',
    version: 1,
    accountId: o.account.id,
    certId: certificate.entry.id,
    route: certificate.route,
    document: o.document,
    placement: o.placement,
    ...(o.reason ? { reason: o.reason } : {}),
    otpRequired: authorization.otp === 'used',
    steps: { authorize: { at, data: { otp: authorization.otp } } },
    createdAt: at,
    updatedAt: at,
  };
  try {
    await o.store.signRequests.create(request);
  } catch (error) {
    const cause = AppError.from(error);
    throw new AppError(
      cause.code,
      `Nothing was submitted: the request could not be stored (${cause.message}). The one-time code is used up; ` +
        'submit again with a new code once the cause is fixed.',
      { cause: error },
    );
  }
  const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: id, route: request.route };
  try {
    await o.queue.publish(request.route, job, { messageId: id });
  } catch (error) {
    o.onQueueDeferred?.(AppError.from(error, ErrorCode.QUEUE_UNAVAILABLE));
  }
  return request;
}
