/**
 * The worker's periodic notice sweep. Each pass looks at robot requests waiting for their signer (the
 * signature request, then a reminder once REMINDER_AT of the time to the deadline has passed) and at recently
 * finished Bitrix24 requests (the outcome to the requester, the administrator's alert for failures only an
 * administrator can fix). The store is the schedule: a notice is due when the request says it was not sent,
 * and claiming it (notice-claims.ts) makes it go out once even with several workers sweeping.
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

/** One pass; returns how many notices went out. */
export async function sweepNotices(deps: NoticeSweepDeps): Promise<number> {
  const now = deps.now();
  let sent = 0;
  for (const request of await deps.store.signRequests.list({ state: 'awaiting_signer' }, BATCH)) {
    if (!request.robot || request.document.kind !== 'bitrix24') continue;
    if (!request.notified?.requested) {
      if (await send(deps, request, 'requested', (r) => deps.notices.toSigner(r, 'requested'))) sent++;
    } else if (!request.notified.reminder && reminderDue(request, now)) {
      if (await send(deps, request, 'reminder', (r) => deps.notices.toSigner(r, 'reminder'))) sent++;
    }
  }
  const finals: SignRequestState[] = ['completed', 'rejected', 'expired', 'failed'];
  for (const state of finals) {
    for (const request of await deps.store.signRequests.list({ state }, BATCH)) {
      if (request.document.kind !== 'bitrix24' || now.getTime() - request.updatedAt.getTime() > OUTCOME_WINDOW_MS)
        continue;
      let current = request;
      if (request.robot && request.accountId && !request.notified?.outcome) {
        if (await send(deps, current, 'outcome', (r) => deps.notices.outcome(r))) sent++;
        current = (await deps.store.signRequests.get(request.id)) ?? request;
      }
      const needsAdmin = state === 'failed' && ADMIN_CODES.has(current.failure?.code ?? '');
      if (needsAdmin && !current.notified?.admin) {
        if (await send(deps, current, 'admin', (r) => deps.notices.admin(r))) sent++;
      }
    }
  }
  return sent;
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
