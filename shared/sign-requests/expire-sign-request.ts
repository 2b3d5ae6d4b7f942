/**
 * Ending a sign request that waited for its signer past its deadline: `awaiting_signer` (or `received`)
 * becomes `expired`, with compare-and-set, a 'failed' sign log entry naming the reason, and a job so that a
 * worker finishes the Bitrix24 workflow step with Result=expired. Used by the worker's periodic sweep and by
 * an approval that comes too late.
 */
import { type SignRequest, transition } from '../domain/sign-request.js';
import { ErrorCode } from '../errors.js';
import { formatDateTime } from '../i18n/date-time.js';
import type { TSignJobV1 } from '../messages/sign-job.js';
import type { JobQueue } from '../queue/queue-port.js';
import { INTERNAL_ROUTE } from '../signing/sign-route.js';
import type { Store } from '../store/store-ports.js';

/** True when the request still waits for its signer and its deadline has passed at `now`. */
export function isOverdue(request: SignRequest, now: Date): boolean {
  const waiting = request.state === 'awaiting_signer' || request.state === 'received';
  return waiting && request.deadline !== undefined && request.deadline.getTime() <= now.getTime();
}

/** The job that makes a worker act on a request that needs no signature any more (route `internal`). */
export async function queueRobotFinish(queue: JobQueue, requestId: string, tag: string): Promise<void> {
  const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId, route: INTERNAL_ROUTE };
  await queue.publish(INTERNAL_ROUTE, job, { messageId: `${requestId}.${tag}` });
}

/**
 * Expires `request` if it is overdue; returns the stored result, or undefined when it was not overdue or
 * someone changed it first (the caller reloads). The job is best effort: the sweep finishes robot steps that
 * nobody queued.
 */
export async function expireSignRequest(
  deps: { store: Store; queue?: JobQueue },
  request: SignRequest,
  now: Date,
): Promise<SignRequest | undefined> {
  if (!isOverdue(request, now)) return undefined;
  // People read this (the workflow log, notices): the deadline in the signer's zone, the one format.
  const deadline = request.deadline ? `, ${formatDateTime(request.deadline, 'en', request.timeZone)}` : '';
  const message = `Nobody approved the signature before the deadline${deadline}`;
  const expired = transition(request, 'expired', now, { failure: { code: ErrorCode.SIGN_REQUEST_EXPIRED, message } });
  const stored = await deps.store.transaction(async () => {
    if (!(await deps.store.signRequests.update(expired, request.version))) return false;
    await deps.store.signLog.appendOnce(
      {
        time: now,
        action: 'failed',
        actor: { role: 'system', ...(request.accountId ? { accountId: request.accountId } : {}) },
        outcome: 'error',
        requestId: request.id,
        details: { code: ErrorCode.SIGN_REQUEST_EXPIRED, state: request.state },
      },
      `failed:${request.id}`,
    );
    return true;
  });
  if (!stored) return undefined;
  if (deps.queue) await queueRobotFinish(deps.queue, request.id, 'expired').catch(() => undefined);
  return { ...expired, version: request.version + 1 };
}
