/**
 * The worker's periodic notice sweep. Each pass looks at robot requests waiting for their signer (the
 * signature request, then a reminder once REMINDER_AT of the time to the deadline has passed) and at recently
 * finished Bitrix24 requests (the outcome to the requester, the administrator's alert for failures only an
 * administrator can fix). The store is the schedule: a notice is due when the request says it was not sent,
 * and claiming it (notice-claims.ts) makes it go out once even with several workers sweeping.
 *
 * The due notices of a pass are sent side by side (up to CONCURRENCY at a time), so their Bitrix24 lookups —
 * the deals (`crm.item.get`), the people (`user.get`) — and their notifications reach the portal's call
 * coalescer together and travel as a few `batch` requests instead of one request each (reference §1.7, §1.8).
 */
import type { SignRequest, SignRequestState } from '../../shared/domain/sign-request.js';
import { ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { claimNotice, releaseNotice } from '../../shared/notices/notice-claims.js';
import type { Store } from '../../shared/store/store-ports.js';
import type { SigningNotices } from './signing-notices.js';

/** The share of the time to the deadline after which the signer is reminded (80 %). */
export const REMINDER_AT = 0.8;
/** Finished requests older than this get no outcome notice any more (a long outage should not flood people). */
const OUTCOME_WINDOW_MS = 3 * 86_400_000;
const BATCH = 200;
/** Notices in flight at once: ~3 lookups each, so one group of them fits Bitrix24's 50 commands per batch. */
const CONCURRENCY = 16;

/** Failures that need an administrator (a certificate, a token, an account or the portal's app to fix). */
export const ADMIN_CODES: ReadonlySet<string> = new Set([
  ErrorCode.CERT_EXPIRED,
  ErrorCode.CERT_REVOKED,
  ErrorCode.CERT_NOT_YET_VALID,
  ErrorCode.CERT_UNKNOWN,
  ErrorCode.CERT_KEY_MISSING,
  ErrorCode.GRANT_MISSING,
  ErrorCode.ACCOUNT_NOT_FOUND,
  ErrorCode.ACCOUNT_DISABLED,
  ErrorCode.OTP_NOT_ENROLLED,
  ErrorCode.TOKEN_MODULE,
  ErrorCode.TOKEN_ABSENT,
  ErrorCode.TOKEN_PIN_INCORRECT,
  ErrorCode.TOKEN_PIN_LOCKED,
  ErrorCode.TOKEN_KEY_MISSING,
  ErrorCode.MASTER_KEY_INVALID,
  ErrorCode.CA_NOT_INITIALIZED,
  ErrorCode.CONFIG_INVALID,
  ErrorCode.B24_AUTH_FAILED,
  ErrorCode.B24_ACCESS_DENIED,
  // A robot call the portal did not confirm (a forgery, most likely): the administrator should know.
  ErrorCode.B24_CALL_UNCONFIRMED,
]);

export interface NoticeSweepDeps {
  store: Store;
  notices: SigningNotices;
  logger: Logger;
  now: () => Date;
}

/** True once REMINDER_AT of the time between creation and deadline has passed (and the deadline has not). */
export function reminderDue(request: SignRequest, now: Date): boolean {
  if (!request.deadline) return false;
  const start = request.createdAt.getTime();
  const end = request.deadline.getTime();
  const at = now.getTime();
  return end > start && at < end && at - start >= REMINDER_AT * (end - start);
}

/** Claims the notice, sends it, gives the claim back when nothing was delivered. */
async function send(
  deps: NoticeSweepDeps,
  request: SignRequest,
  kind: 'requested' | 'reminder' | 'outcome' | 'admin',
  run: (claimed: SignRequest) => Promise<boolean>,
): Promise<boolean> {
  const claimed = await claimNotice(deps.store, request, kind, deps.now());
  if (!claimed) return false;
  let delivered = false;
  try {
    delivered = await run(claimed);
  } catch (error) {
    deps.logger.warn({ requestId: request.id, kind, error }, 'notice failed; it will be tried again');
  }
  if (!delivered) await releaseNotice(deps.store, request.id, kind);
  return delivered;
}

/** Runs `tasks` CONCURRENCY at a time; returns the sum of what they return. */
async function runSideBySide(tasks: (() => Promise<number>)[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < tasks.length; i += CONCURRENCY) {
    const counts = await Promise.all(tasks.slice(i, i + CONCURRENCY).map((task) => task()));
    for (const n of counts) total += n;
  }
  return total;
}

/** The signature request or its reminder for a request waiting for its signer, when one is due. */
function signerTask(deps: NoticeSweepDeps, request: SignRequest, now: Date): (() => Promise<number>) | undefined {
  if (!request.robot || request.document.kind !== 'bitrix24') return undefined;
  if (!request.notified?.requested) {
    return async () => Number(await send(deps, request, 'requested', (r) => deps.notices.toSigner(r, 'requested')));
  }
  if (!request.notified.reminder && reminderDue(request, now)) {
    return async () => Number(await send(deps, request, 'reminder', (r) => deps.notices.toSigner(r, 'reminder')));
  }
  return undefined;
}

/** The outcome to the requester, then (for failures only an administrator can fix) the admin's alert. */
function finalTask(deps: NoticeSweepDeps, request: SignRequest, now: Date): (() => Promise<number>) | undefined {
  if (request.document.kind !== 'bitrix24' || now.getTime() - request.updatedAt.getTime() > OUTCOME_WINDOW_MS) {
    return undefined;
  }
  const outcomeDue = Boolean(request.robot && request.accountId && !request.notified?.outcome);
  const adminDue =
    request.state === 'failed' && ADMIN_CODES.has(request.failure?.code ?? '') && !request.notified?.admin;
  if (!outcomeDue && !adminDue) return undefined;
  return async () => {
    let sent = 0;
    let current = request;
    if (outcomeDue) {
      if (await send(deps, current, 'outcome', (r) => deps.notices.outcome(r))) sent++;
      current = (await deps.store.signRequests.get(request.id)) ?? request;
    }
    if (adminDue && !current.notified?.admin) {
      if (await send(deps, current, 'admin', (r) => deps.notices.admin(r))) sent++;
    }
    return sent;
  };
}

/** One pass; returns how many notices went out. */
export async function sweepNotices(deps: NoticeSweepDeps): Promise<number> {
  const now = deps.now();
  const tasks: (() => Promise<number>)[] = [];
  for (const request of await deps.store.signRequests.list({ state: 'awaiting_signer' }, BATCH)) {
    const task = signerTask(deps, request, now);
    if (task) tasks.push(task);
  }
  const finals: SignRequestState[] = ['completed', 'rejected', 'expired', 'failed'];
  for (const state of finals) {
    for (const request of await deps.store.signRequests.list({ state }, BATCH)) {
      const task = finalTask(deps, request, now);
      if (task) tasks.push(task);
    }
  }
  return runSideBySide(tasks);
}

/** Runs a pass every `intervalMs` (and one soon after start); `stop` waits for a pass in progress. */
export function startNoticeSweep(deps: NoticeSweepDeps, intervalMs: number): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const pass = () => {
    running = sweepNotices(deps)
      .catch((error: unknown) => deps.logger.warn({ error }, 'notice sweep failed; next pass later'))
      .finally(() => {
        if (!stopped) timer = setTimeout(pass, intervalMs);
      });
  };
  timer = setTimeout(pass, Math.min(intervalMs, 1000));
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
