/**
 * A robot request whose signer had no linked account when the call came (`received`): the worker asks the
 * portal for the user's e-mail (`user.get`, reference §6.5) and tries the account link's e-mail fallback
 * (account-service `findForBitrixUser`). Found: the request waits for that signer (`awaiting_signer`) and the
 * workflow log says so. Not found: the request fails with a reason the workflow designer and the
 * administrator can act on, and the step is finished with Result=failed.
 */
import { createAccountService } from '../../shared/accounts/account-service.js';
import type { Account } from '../../shared/domain/account.js';
import { type SignRequest, transition } from '../../shared/domain/sign-request.js';
import { ErrorCode } from '../../shared/errors.js';
import { finishUnsignedStep, type RobotDeps } from './finish-robot-step.js';
import { waitingLogMessage } from './robot-texts.js';

/** The e-mail of a portal user (needs the `user_basic` scope), or undefined. */
async function emailOf(deps: RobotDeps, memberId: string, userId: number): Promise<string | undefined> {
  const rows = await deps.b24.calls.call<unknown[]>(memberId, 'user.get', { FILTER: { ID: userId } });
  const row = (Array.isArray(rows) ? rows[0] : undefined) as Record<string, unknown> | undefined;
  return typeof row?.EMAIL === 'string' && row.EMAIL ? row.EMAIL : undefined;
}

/** Writes "waiting for <signer>" to the workflow log; best effort (the log line is only informative). */
export async function logWaiting(deps: RobotDeps, request: SignRequest, account: Account): Promise<void> {
  const robot = request.robot;
  if (!robot) return;
  await deps.b24.calls
    .call(
      robot.memberId,
      'bizproc.activity.log',
      {
        EVENT_TOKEN: robot.eventToken,
        LOG_MESSAGE: waitingLogMessage(account.description || account.login, request.deadline, deps.language),
      },
      { repeatable: true },
    )
    .catch((error: unknown) => deps.logger.warn({ requestId: request.id, error }, 'workflow log line not written'));
}

async function failNoAccount(deps: RobotDeps, request: SignRequest, email: string | undefined): Promise<void> {
  const userId = request.robot?.signerUserId;
  const message =
    `Bitrix24 user ${userId}${email ? ` (${email})` : ''} has no SignService account: an administrator has to ` +
    'create one linked to this user (or with this e-mail) before the step can run again';
  const at = deps.now();
  const failed = transition(request, 'failed', at, { failure: { code: ErrorCode.ACCOUNT_NOT_FOUND, message } });
  if (!(await deps.store.signRequests.update(failed, request.version))) return;
  await deps.store.signLog.appendOnce(
    {
      time: at,
      action: 'failed',
      actor: { role: 'system', ...(userId ? { userId } : {}), memberId: request.robot?.memberId as string },
      outcome: 'error',
      requestId: request.id,
      details: { code: ErrorCode.ACCOUNT_NOT_FOUND },
    },
    `failed:${request.id}`,
  );
  await finishUnsignedStep(deps, { ...failed, version: request.version + 1 });
}

/** Moves a `received` robot request on; safe to run twice (compare-and-set). */
export async function prepareRobotRequest(deps: RobotDeps, request: SignRequest): Promise<'waiting' | 'failed'> {
  const robot = request.robot;
  if (!robot || request.state !== 'received') return 'waiting';
  const email = await emailOf(deps, robot.memberId, robot.signerUserId);
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
    await failNoAccount(deps, request, email);
    return 'failed';
  }
  const waiting = transition(request, 'awaiting_signer', deps.now(), {
    accountId: account.id,
    otpRequired: !account.otpDisabled,
  });
  if (await deps.store.signRequests.update(waiting, request.version)) await logWaiting(deps, waiting, account);
  return 'waiting';
}
