/**
 * A robot request as the handler stored it (`received`): a claim nobody has been asked to act on yet. The
 * worker first has the portal confirm it (confirm-robot-call.ts, the app's own tokens, one `batch`); a call
 * the portal contradicts fails (B24_CALL_UNCONFIRMED) with a warning and a sign-log entry, and its step is
 * finished with Result=failed — only the administrator hears of it, never the named signer. A confirmed
 * call then finds its signer's account (the link, else the account link's e-mail fallback with the e-mail
 * the portal gave, account-service `findForBitrixUser`): found, the request waits for that signer
 * (`awaiting_signer`, which is when the notices start) and the workflow log says so; not found, the request
 * fails with a reason the workflow designer and the administrator can act on.
 */

import { createAccountService } from '../../shared/accounts/account-service.js';
import { recordRefusal } from '../../shared/bitrix24/record-refusal.js';
import { type Account, accountDisplayName } from '../../shared/domain/account.js';
import { type SignRequest, transition } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../../shared/errors.js';
import { personTimeZone } from '../../shared/i18n/date-time.js';
import { confirmRobotCall } from './confirm-robot-call.js';
import { finishUnsignedStep, type RobotDeps } from './finish-robot-step.js';
import { waitingLogMessage } from './robot-texts.js';

/** Writes "waiting for <signer>" to the workflow log; best effort (the log line is only informative). */
export async function logWaiting(
  deps: RobotDeps,
  request: SignRequest,
  account: Account,
  bitrixName?: string,
): Promise<void> {
  const robot = request.robot;
  if (!robot) return;
  await deps.b24.calls
    .call(
      robot.memberId,
      'bizproc.activity.log',
      {
        EVENT_TOKEN: robot.eventToken,
        LOG_MESSAGE: waitingLogMessage(
          accountDisplayName(account, bitrixName),
          request.deadline,
          deps.language,
          request.timeZone,
        ),
      },
      { repeatable: true },
    )
    .catch((error: unknown) => deps.logger.warn({ requestId: request.id, error }, 'workflow log line not written'));
}

/** Fails `request` with `failure`, records it once in the sign log, and finishes its workflow step. */
async function failRequest(
  deps: RobotDeps,
  request: SignRequest,
  failure: { code: string; message: string },
): Promise<void> {
  const at = deps.now();
  const failed = transition(request, 'failed', at, { failure });
  const robot = request.robot;
  // The failure and its entry are stored together (Store.transaction).
  const stored = await deps.store.transaction(async () => {
    if (!(await deps.store.signRequests.update(failed, request.version))) return false;
    if (failure.code !== ErrorCode.B24_CALL_UNCONFIRMED) {
      await deps.store.signLog.appendOnce(
        {
          time: at,
          action: 'failed',
          actor: {
            role: 'system',
            ...(robot?.signerUserId ? { userId: robot.signerUserId } : {}),
            memberId: robot?.memberId as string,
          },
          outcome: 'error',
          requestId: request.id,
          details: { code: failure.code },
        },
        `failed:${request.id}`,
      );
    }
    return true;
  });
  if (!stored) return;
  await finishUnsignedStep(deps, { ...failed, version: request.version + 1 });
}

/** A call the portal contradicted: warning, sign-log entry (record-refusal.ts), failed request. */
async function refuseCall(deps: RobotDeps, request: SignRequest, error: AppError): Promise<void> {
  const robot = request.robot as NonNullable<SignRequest['robot']>;
  const claim = String(error.details?.claim ?? 'unknown');
  await recordRefusal(deps, {
    action: 'robot_call_refused',
    memberId: robot.memberId,
    reason: claim,
    requestId: request.id,
    details: {
      workflowId: robot.workflowId,
      dealId: request.document.kind === 'bitrix24' ? request.document.entityId : 0,
      signerUserId: robot.signerUserId,
    },
  });
  await failRequest(deps, request, { code: error.code, message: error.message });
}

/** Moves a `received` robot request on; safe to run twice (compare-and-set). */
export async function prepareRobotRequest(deps: RobotDeps, request: SignRequest): Promise<'waiting' | 'failed'> {
  const robot = request.robot;
  if (!robot || request.state !== 'received') return 'waiting';
  let email: string | undefined;
  let bitrixZone: string | undefined;
  let bitrixName: string | undefined;
  try {
    ({
      signerEmail: email,
      signerTimeZone: bitrixZone,
      signerName: bitrixName,
    } = await confirmRobotCall(deps, request));
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.B24_CALL_UNCONFIRMED) {
      await refuseCall(deps, request, error);
      return 'failed';
    }
    // Transient: the job (or the sweep) tries again. Permanent — the stored tokens refused, the installing
    // user no longer an administrator — ends the step now, and the administrator is told, instead of
    // retrying for ever.
    if (errorOutcome(error).transient || !(error instanceof AppError)) throw error;
    await failRequest(deps, request, { code: error.code, message: error.message });
    return 'failed';
  }
  const account = await createAccountService({
    store: deps.store,
    now: deps.now,
    logger: deps.logger,
  }).findForBitrixUser({
    memberId: robot.memberId,
    userId: robot.signerUserId,
    ...(email ? { email } : {}),
  });
  if (!account) {
    const message =
      `Bitrix24 user ${robot.signerUserId}${email ? ` (${email})` : ''} has no SignService account: an administrator ` +
      'has to create one linked to this user (or with this e-mail) before the step can run again';
    await failRequest(deps, request, { code: ErrorCode.ACCOUNT_NOT_FOUND, message });
    return 'failed';
  }
  // The signer's zone, fixed now: their pages and notices show times there, and the stamp too.
  const timeZone = personTimeZone({ bitrix: bitrixZone, account: account.timeZone, service: deps.timeZone });
  const waiting = transition(request, 'awaiting_signer', deps.now(), {
    accountId: account.id,
    otpRequired: !account.otpDisabled,
    timeZone,
  });
  if (await deps.store.signRequests.update(waiting, request.version))
    await logWaiting(deps, waiting, account, bitrixName);
  return 'waiting';
}
