/**
 * A robot call is a claim: its only credential, the application_token, is in every portal user's browser
 * (reference §1.3, §5.3), so anybody who can open the app could post a "robot call" with a deal, a signer and
 * a message of their choosing. Before anybody is asked to sign, the worker checks the claim with the portal,
 * using the app's own stored tokens (never the call's `auth`), in one `batch`:
 *
 * - the robot `code` is ours (the robot or the business-process activity this app registers) and the event
 *   token belongs to the claimed workflow (`<workflow_id>|…`, §3) — no REST needed;
 * - the deal exists: `crm.item.get` (a `NOT_FOUND` refuses), read as the fetch reads it and kept for it
 *   (shared/bitrix24/deal-reads.ts), so a signature that follows soon needs no read of its own;
 * - the workflow runs on that deal: `bizproc.workflow.instances` filtered on the workflow id returns it with
 *   `MODULE_ID` crm, `ENTITY` CCrmDocumentDeal and `DOCUMENT_ID` `DEAL_<id>` (administrators only: the stored
 *   tokens are the installing administrator's);
 * - the signer is an active user of the portal: `user.get` (its e-mail serves the account link too, its
 *   `TIME_ZONE` the times the signer is shown and the stamp);
 * - the event token is one the portal issued: `bizproc.activity.log` with it writes "request received" to
 *   the workflow log; the portal checks the token's signature and answers `ACCESS_DENIED` for a forged one
 *   (§4.1, §4.2), so a caller who only knows a running workflow's id cannot make it up.
 *
 * A claim the portal contradicts fails with B24_CALL_UNCONFIRMED (`details.claim` says which). A check that
 * cannot be made — the stored tokens refused, no longer an administrator, the portal unreachable — is not a
 * verdict on the call: its error is thrown (transient ones are retried, the others fail the request as
 * usual and reach the administrator).
 */
import { ACTIVITY_CODE, ROBOT_CODE } from '../../shared/bitrix24/robot-definition.js';
import type { SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { RobotDeps } from './finish-robot-step.js';
import { checkingLogMessage } from './robot-texts.js';

/** What the portal confirmed about the signer. */
export interface ConfirmedRobotCall {
  signerEmail: string | undefined;
  /** The signer's `TIME_ZONE` as user.get gives it; undefined when the user never chose one. */
  signerTimeZone: string | undefined;
  /** The signer's NAME and LAST_NAME; '' when Bitrix24 gives none. */
  signerName: string;
  /** `STARTED_BY` of the workflow instance (0: automation). */
  startedBy: number;
}

/** Which part of the claim the portal contradicted. */
export type RobotClaim =
  | 'unknown_robot'
  | 'token_mismatch'
  | 'deal_not_found'
  | 'workflow_not_running'
  | 'signer_not_active'
  | 'event_token_refused';

const OUR_CODES = new Set([ROBOT_CODE, ACTIVITY_CODE]);

function unconfirmed(claim: RobotClaim, message: string): AppError {
  return new AppError(ErrorCode.B24_CALL_UNCONFIRMED, `The portal does not confirm this robot call: ${message}`, {
    details: { claim },
  });
}

const b24Error = (error: unknown) => (error instanceof AppError ? error.details?.b24Error : undefined);

/** The outcome of one check, or the error that is not a verdict. */
function settled<T>(result: PromiseSettledResult<T>, refuses: (error: unknown) => AppError | undefined): T {
  if (result.status === 'fulfilled') return result.value;
  throw refuses(result.reason) ?? result.reason;
}

/**
 * Checks the robot call behind `request` with the portal.
 * @throws AppError B24_CALL_UNCONFIRMED (details.claim), or the error of a check that could not be made
 */
export async function confirmRobotCall(deps: RobotDeps, request: SignRequest): Promise<ConfirmedRobotCall> {
  const robot = request.robot;
  if (!robot || request.document.kind !== 'bitrix24') throw new AppError(ErrorCode.INTERNAL, 'not a robot request');
  const dealId = request.document.entityId;
  if (!OUR_CODES.has(robot.code)) throw unconfirmed('unknown_robot', `robot code "${robot.code}" is not this app's`);
  if (!robot.eventToken.startsWith(`${robot.workflowId}|`)) {
    throw unconfirmed('token_mismatch', 'the event token does not belong to the workflow it came with');
  }
  const call = <T>(method: string, params: Record<string, unknown>, repeatable?: boolean) =>
    deps.b24.calls.call<T>(robot.memberId, method, params, repeatable === undefined ? {} : { repeatable });
  const [deal, instances, users, logged] = await Promise.allSettled([
    // The deal as the fetch reads it too (useOriginalUfNames): a signature soon after shares this read.
    deps.b24.deals.read(robot.memberId, dealId, Date.now()),
    call<unknown[]>('bizproc.workflow.instances', {
      select: ['ID', 'MODULE_ID', 'ENTITY', 'DOCUMENT_ID', 'STARTED_BY'],
      filter: { ID: robot.workflowId },
    }),
    call<unknown[]>('user.get', { FILTER: { ID: robot.signerUserId } }),
    // Repeatable: a log line written twice after a lost answer does no harm.
    call(
      'bizproc.activity.log',
      { EVENT_TOKEN: robot.eventToken, LOG_MESSAGE: checkingLogMessage(deps.language) },
      true,
    ),
  ]);
  settled(deal, (e) =>
    b24Error(e) === 'NOT_FOUND' ? unconfirmed('deal_not_found', `deal ${dealId} does not exist`) : undefined,
  );
  const rows = settled(instances, () => undefined);
  const instance = (Array.isArray(rows) ? rows : []).find(
    (r) => (r as Record<string, unknown>)?.ID === robot.workflowId,
  ) as Record<string, unknown> | undefined;
  if (!instance) throw unconfirmed('workflow_not_running', `workflow ${robot.workflowId} is not running`);
  if (
    instance.MODULE_ID !== 'crm' ||
    instance.ENTITY !== 'CCrmDocumentDeal' ||
    instance.DOCUMENT_ID !== `DEAL_${dealId}`
  ) {
    throw unconfirmed('workflow_not_running', `workflow ${robot.workflowId} does not run on deal ${dealId}`);
  }
  const user = (settled(users, () => undefined) as unknown[] | undefined)?.[0] as Record<string, unknown> | undefined;
  if (!user || String(user.ID) !== String(robot.signerUserId) || (user.ACTIVE !== true && user.ACTIVE !== 'Y')) {
    throw unconfirmed(
      'signer_not_active',
      `the signer (user ${robot.signerUserId}) is not an active user of the portal`,
    );
  }
  settled(logged, (e) =>
    e instanceof AppError && e.code === ErrorCode.B24_ACCESS_DENIED
      ? unconfirmed('event_token_refused', 'the portal refuses its event token')
      : undefined,
  );
  const email = typeof user.EMAIL === 'string' && user.EMAIL ? user.EMAIL : undefined;
  const zone = typeof user.TIME_ZONE === 'string' && user.TIME_ZONE ? user.TIME_ZONE : undefined;
  const startedBy = Number(instance.STARTED_BY);
  const signerName = [user.NAME, user.LAST_NAME]
    .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
    .map((part) => part.trim())
    .join(' ');
  return {
    signerEmail: email,
    signerTimeZone: zone,
    signerName,
    startedBy: Number.isSafeInteger(startedBy) ? startedBy : 0,
  };
}
