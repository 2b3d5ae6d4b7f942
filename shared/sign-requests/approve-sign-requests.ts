/**
 * Approving several robot requests of one signer with one one-time code: the approval page's "Waiting for
 * me" list and `signservice request approve ID ID …`. Every id must name a request of that signer (and, from
 * a page, of that portal): one that does not refuses the whole batch before the code is looked at, so a
 * forged id signs nothing and spends no code. Requests that stopped waiting meanwhile (answered through their
 * own link, expired) are skipped and said so; if none is left, nothing happens. Then the certificate (the one
 * chosen, else the preselection all the steps share, else the account's default or only grant) and the
 * account's right to it are checked once, the code once, and each request is approved and queued on its own
 * with the batch's id — so each is signed as its own request, and a failure of one never holds the others.
 */
import { randomUUID } from 'node:crypto';
import type { Account } from '../domain/account.js';
import type { SignLogActor } from '../domain/sign-log-entry.js';
import type { SignRequest } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import type { OtpAuthorizer, SignatureAuthorization } from '../otp/otp-authorizer.js';
import type { JobQueue } from '../queue/queue-port.js';
import type { CertificateKeySource, FoundCertificate } from '../signing/certificate-key-source.js';
import type { Store } from '../store/store-ports.js';
import { approveAndQueue } from './approve-sign-request.js';
import { assertMaySign } from './assert-may-sign.js';
import { checkBatchSize, distinctIds } from './batch-limits.js';
import { expireSignRequest } from './expire-sign-request.js';
import { answerWhileWaiting } from './while-waiting.js';

export interface ApproveSignRequestsOptions {
  store: Store;
  queue: JobQueue;
  keys: CertificateKeySource;
  authorizer: OtpAuthorizer;
  /** Whose requests these must be: each one waits for this account (and, when given, is on this portal). */
  signer: { accountId: string; memberId?: string };
  requestIds: readonly string[];
  otp: string | undefined;
  /** The certificate the signer picked for all of them. */
  certId?: string;
  /** BATCH_MAX_DOCUMENTS. */
  maxDocuments: number;
  actor?: SignLogActor;
  clientAddress?: string;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default crypto.randomUUID() */
  batchId?: string;
}

/** A request of the batch that was not approved, and why. */
export interface SkippedRequest {
  requestId: string;
  code: string;
  message: string;
}

export interface BatchApproval {
  batchId: string;
  approved: SignRequest[];
  skipped: SkippedRequest[];
}

/** Loads every request; refuses the batch when one is not the signer's. */
async function ownRequests(o: ApproveSignRequestsOptions, ids: string[]): Promise<SignRequest[]> {
  const requests = await Promise.all(ids.map((id) => o.store.signRequests.get(id)));
  return requests.map((request, i) => {
    const doc = request?.document;
    const portalOk =
      o.signer.memberId === undefined || (doc?.kind === 'bitrix24' && doc.memberId === o.signer.memberId);
    if (!request || request.accountId !== o.signer.accountId || !portalOk) {
      throw new AppError(
        ErrorCode.SIGN_REQUEST_NOT_FOUND,
        `Sign request ${ids[i]} is not one of yours; nothing was signed`,
        {
          details: { requestId: ids[i] },
        },
      );
    }
    return request;
  });
}

/** Splits into the requests still waiting and the ones to skip (expiring those past their deadline). */
async function partition(o: ApproveSignRequestsOptions, requests: SignRequest[], now: Date) {
  const pending: SignRequest[] = [];
  const skipped: SkippedRequest[] = [];
  for (const request of requests) {
    if (await expireSignRequest(o, request, now)) {
      skipped.push({ requestId: request.id, code: ErrorCode.SIGN_REQUEST_EXPIRED, message: 'the deadline has passed' });
    } else if (request.state !== 'awaiting_signer') {
      skipped.push({
        requestId: request.id,
        code: ErrorCode.SIGN_REQUEST_NOT_PENDING,
        message: `it is ${request.state}`,
      });
    } else {
      pending.push(request);
    }
  }
  return { pending, skipped };
}

/** The chosen certificate, else the preselection every step shares, else the default or only grant. */
async function batchCertificate(o: ApproveSignRequestsOptions, pending: SignRequest[]): Promise<FoundCertificate> {
  const preselected = new Set(pending.map((r) => r.certId));
  const shared = preselected.size === 1 ? [...preselected][0] : undefined;
  let certId = o.certId ?? (shared || undefined);
  if (!certId) {
    const grants = await o.store.grants.listForAccount(o.signer.accountId);
    certId = (grants.find((g) => g.isDefault) ?? (grants.length === 1 ? grants[0] : undefined))?.certId;
  }
  if (!certId) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, 'Choose the certificate to sign these documents with (--cert ID)');
  }
  return o.keys.find(certId);
}

/** Approves one request, reloading after lost races while it still waits; a skip reason otherwise. */
async function approveOne(
  o: ApproveSignRequestsOptions,
  first: SignRequest,
  approval: { certificate: FoundCertificate; authorization: SignatureAuthorization; batchId: string },
): Promise<SignRequest | SkippedRequest> {
  try {
    const outcome = await answerWhileWaiting(o.store, first, (request) => approveAndQueue(o, request, approval));
    if (outcome.stored) return outcome.stored;
    return {
      requestId: first.id,
      code: ErrorCode.SIGN_REQUEST_NOT_PENDING,
      message: `it was answered meanwhile (${outcome.last?.state ?? 'gone'})`,
    };
  } catch (error) {
    const e = AppError.from(error);
    return { requestId: first.id, code: e.code, message: e.message };
  }
}

/**
 * Approves and queues the batch; returns what was approved and what was skipped.
 * @throws AppError BATCH_TOO_LARGE, SIGN_REQUEST_NOT_FOUND (an id that is not the signer's: nothing approved),
 *   SIGN_REQUEST_NOT_PENDING (none is waiting any more), INVALID_ARGUMENT (no certificate chosen), CERT_*,
 *   GRANT_MISSING, ACCOUNT_DISABLED, ACCOUNT_NOT_FOUND and the OTP errors.
 */
export async function approveSignRequests(o: ApproveSignRequestsOptions): Promise<BatchApproval> {
  const now = o.now ?? (() => new Date());
  const ids = distinctIds(o.requestIds);
  checkBatchSize(ids.length, o.maxDocuments);
  const { pending, skipped } = await partition(o, await ownRequests(o, ids), now());
  if (pending.length === 0) {
    throw new AppError(ErrorCode.SIGN_REQUEST_NOT_PENDING, 'None of these documents waits for your signature any more');
  }
  const account: Account | undefined = await o.store.accounts.get(o.signer.accountId);
  if (!account) throw new AppError(ErrorCode.ACCOUNT_NOT_FOUND, `No account with id ${o.signer.accountId}`);
  const certificate = await batchCertificate(o, pending);
  await assertMaySign({ store: o.store, account, certificate, now });
  const authorization = await o.authorizer.authorizeSignature({
    account,
    code: o.otp,
    ...(o.actor ? { actor: o.actor } : {}),
    ...(o.clientAddress ? { clientAddress: o.clientAddress } : {}),
  });
  const batchId = o.batchId ?? randomUUID();
  const approved: SignRequest[] = [];
  for (const request of pending) {
    const outcome = await approveOne(o, request, { certificate, authorization, batchId });
    if ('requestId' in outcome) skipped.push(outcome);
    else approved.push(outcome);
  }
  return { batchId, approved, skipped };
}
