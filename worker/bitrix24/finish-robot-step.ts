/**
 * Finishing the Bitrix24 workflow step that waits for a request (reference §4.1): `bizproc.event.send` with
 * the event token and the return values (Result, SignedBy, SignedAt, Certificate, Reason, SignedFileId).
 *
 * Idempotency: an event token closes its step once; Bitrix24 ignores or refuses (ACCESS_DENIED) a repeat, so
 * a repeat cannot double-apply. The call is therefore sent as repeatable (the client repeats it after a lost
 * answer), and ACCESS_DENIED counts as "the step is closed" — by our earlier call whose answer was lost, or
 * because the workflow was terminated; either way nothing is left to do. A step that ends without a signature
 * also gets a notice to the portal's administrator (`im.notify.system.add`, at most once: a notice is not
 * worth a duplicate) and the request records `steps.callback`, which is what the sweep looks for.
 */
import type { Bitrix24App } from '../../shared/bitrix24/bitrix24-app.js';
import { FINAL_STATES, type RobotResult, recordStep, type SignRequest } from '../../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { noticeLanguage } from '../../shared/notices/notice-language.js';
import type { Store } from '../../shared/store/store-ports.js';
import { adminNotice, outcomeLogMessage, type PortalLanguage } from './robot-texts.js';

export interface RobotDeps {
  store: Store;
  b24: Bitrix24App;
  logger: Logger;
  language: PortalLanguage;
  now: () => Date;
  /** The service's time zone (TZ), for a signer whose zone neither Bitrix24 nor the account names. */
  timeZone?: string;
}

/** The Result a request in `state` reports. */
export function robotResultOf(request: SignRequest): RobotResult {
  if (request.state === 'completed' || request.state === 'delivered') return 'signed';
  if (request.state === 'rejected' || request.state === 'expired') return request.state;
  return 'failed';
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** The return values of the step (reference §4.1 RETURN_VALUES; keys match RETURN_PROPERTIES). */
export function returnValues(request: SignRequest, result: RobotResult): Record<string, string> {
  const sign = request.steps.sign?.data ?? {};
  const signed = result === 'signed';
  const certificate = signed
    ? `${text(sign.certSubject)}${sign.certSerial ? `, serial ${text(sign.certSerial)}` : ''}`
    : '';
  return {
    Result: result,
    SignedBy: signed && request.robot ? `user_${request.robot.signerUserId}` : '',
    SignedAt: signed && request.steps.sign ? request.steps.sign.at.toISOString() : '',
    Certificate: certificate || (signed ? request.certId : ''),
    Reason: signed ? '' : (request.failure?.message ?? ''),
    SignedFileId: signed ? text(request.steps.deliver?.data.fileId) : '',
  };
}

/**
 * Sends the step's outcome. Returns false when Bitrix24 said the step is closed already (ACCESS_DENIED).
 * @throws AppError transient errors for the caller to retry later
 */
export async function sendStepOutcome(deps: RobotDeps, request: SignRequest, result: RobotResult): Promise<boolean> {
  const robot = request.robot;
  if (!robot) return true;
  const detail = result === 'signed' ? text(request.steps.sign?.data.certSubject) : (request.failure?.message ?? '');
  try {
    await deps.b24.calls.call(
      robot.memberId,
      'bizproc.event.send',
      {
        EVENT_TOKEN: robot.eventToken,
        RETURN_VALUES: returnValues(request, result),
        LOG_MESSAGE: outcomeLogMessage(result, detail, deps.language),
      },
      { repeatable: true },
    );
    deps.logger.info({ requestId: request.id, result, workflowId: robot.workflowId }, 'workflow step finished');
    return true;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== ErrorCode.B24_ACCESS_DENIED) throw error;
    deps.logger.warn(
      { requestId: request.id, workflowId: robot.workflowId, result },
      'bizproc.event.send refused: the step is closed already (an earlier send, or the workflow was stopped)',
    );
    return false;
  }
}

/** Records `steps.callback` on a final request (compare-and-set; someone else recording first is fine). */
async function recordFinished(deps: RobotDeps, requestId: string, result: RobotResult): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await deps.store.signRequests.get(requestId);
    if (!current || current.steps.callback) return;
    const next = recordStep(current, 'callback', { at: deps.now(), data: { result } });
    if (await deps.store.signRequests.update(next, current.version)) return;
  }
}

/** Tells the portal's administrator (the user who installed the app: Bitrix24 lists no admins, §6.5). */
async function noticeAdmin(deps: RobotDeps, request: SignRequest, result: RobotResult): Promise<void> {
  const memberId = request.robot?.memberId as string;
  const portal = await deps.store.portals.get(memberId);
  if (!portal?.userId) {
    deps.logger.warn({ requestId: request.id, memberId }, 'no administrator known for the portal; notice skipped');
    return;
  }
  await deps.b24.calls
    .call(memberId, 'im.notify.system.add', {
      USER_ID: portal.userId,
      MESSAGE: adminNotice(
        request,
        result,
        noticeLanguage({ portalLanguage: portal.language, fallback: deps.language }),
      ),
      TAG: `signservice.robot|${request.id}`,
    })
    .catch((error: unknown) => deps.logger.warn({ requestId: request.id, error }, 'administrator notice not sent'));
}

/**
 * Finishes the workflow step of a final request that ended without a signature (failed, expired, rejected),
 * once: skipped when `steps.callback` is recorded.
 * @throws AppError transient errors (the job or the sweep retries)
 */
export async function finishUnsignedStep(deps: RobotDeps, request: SignRequest): Promise<void> {
  if (!request.robot || request.steps.callback || !FINAL_STATES.has(request.state)) return;
  const result = robotResultOf(request);
  try {
    await sendStepOutcome(deps, request, result);
  } catch (error) {
    // Uninstalled meanwhile: its workflows are gone with the app, and nothing can be sent any more.
    const portal = await deps.store.portals.get(request.robot.memberId);
    if (portal?.status === 'installed' || !(error instanceof AppError) || error.code !== ErrorCode.B24_AUTH_FAILED) {
      throw error;
    }
    deps.logger.warn({ requestId: request.id }, 'the app is not installed on the portal any more; step not finished');
    await recordFinished(deps, request.id, result);
    return;
  }
  await recordFinished(deps, request.id, result);
  if (result !== 'rejected') await noticeAdmin(deps, request, result);
}
