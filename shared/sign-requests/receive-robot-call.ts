/**
 * A robot (or business-process activity) call, its application_token checked, becomes a sign request —
 * exactly once per `event_token`: the request id is derived from the portal and the event token, so a
 * repeated call (a queue server resending, two activity instances behind a load balancer) finds the request
 * it made before. Only the store and the queue are touched here, never Bitrix24, so the handler answers at
 * once (reference §4.3: lost calls are not retried; answer fast, persist, process later).
 *
 * The application_token is in every portal user's browser (§1.3, §5.3), so what the call says is a claim:
 * the request is stored `received` and queued, and a worker has the portal confirm it with the app's own
 * tokens before anybody is asked to sign (worker/bitrix24/confirm-robot-call.ts), then finds the signer's
 * account. A malformed step (not a deal, properties the designer got wrong) is stored `failed` with the
 * reason and queued too, so a worker finishes the workflow step with Result=failed instead of leaving it
 * waiting forever.
 */
import { createHash } from 'node:crypto';
import { dealIdOf, type TRobotCall } from '../bitrix24/payloads.js';
import { parseRobotProperties, type RobotStepSpec } from '../bitrix24/robot-properties.js';
import type { SignRequest } from '../domain/sign-request.js';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TSignJobV1 } from '../messages/sign-job.js';
import type { JobQueue } from '../queue/queue-port.js';
import { INTERNAL_ROUTE } from '../signing/sign-route.js';
import type { Store } from '../store/store-ports.js';

/** The request id of a robot call: a UUID-shaped SHA-256 of member_id and event_token. */
export function robotRequestId(memberId: string, eventToken: string): string {
  const h = createHash('sha256').update(`${memberId}\n${eventToken}`, 'utf8').digest('hex');
  // RFC 9562 §5.8 (UUIDv8, custom): version nibble 8, variant bits 10.
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface ReceiveRobotCallDeps {
  store: Store;
  queue: JobQueue;
  logger: Logger;
  now: () => Date;
}

/** What became of a call. */
export interface ReceivedRobotCall {
  request: SignRequest;
  /** False when this event token was seen before (nothing was written). */
  created: boolean;
}

function baseRequest(call: TRobotCall, id: string, at: Date): SignRequest {
  const memberId = call.auth.member_id;
  return {
    id,
    state: 'received',
    version: 1,
    accountId: '',
    certId: '',
    route: '',
    document: {
      kind: 'bitrix24',
      memberId,
      entityTypeId: 2,
      entityId: dealIdOf(call.document_id) ?? 0,
      fieldCode: '',
      fileId: '',
    },
    placement: { page: 'last', position: 'bottom-right', visible: true },
    otpRequired: true,
    steps: {},
    robot: { memberId, code: call.code, workflowId: call.workflow_id, eventToken: call.event_token, signerUserId: 0 },
    createdAt: at,
    updatedAt: at,
  };
}

function withSpec(request: SignRequest, spec: RobotStepSpec, at: Date): SignRequest {
  const document =
    request.document.kind === 'bitrix24' ? { ...request.document, fieldCode: spec.fileField } : request.document;
  return {
    ...request,
    document,
    placement: spec.placement,
    certId: spec.certId ?? '',
    deadline: new Date(at.getTime() + spec.deadlineHours * 3_600_000),
    robot: {
      ...(request.robot as NonNullable<SignRequest['robot']>),
      signerUserId: spec.signerUserId,
      ...(spec.message ? { message: spec.message } : {}),
      ...(spec.certId ? { certId: spec.certId } : {}),
    },
  };
}

/** The request for `call`, before it is stored. */
function buildRequest(call: TRobotCall, id: string, at: Date): SignRequest {
  const base = baseRequest(call, id, at);
  if (dealIdOf(call.document_id) === undefined) {
    const message = `The "Approve & sign PDF" step works on deals only, not on ${call.document_id.join(':')}`;
    return { ...base, state: 'failed', failure: { code: ErrorCode.B24_INVALID_PAYLOAD, message } };
  }
  let spec: RobotStepSpec;
  try {
    spec = parseRobotProperties(call.properties);
  } catch (error) {
    const failure = { code: ErrorCode.B24_INVALID_PAYLOAD, message: (error as Error).message };
    return { ...base, state: 'failed', failure };
  }
  return withSpec(base, spec, at);
}

/**
 * Stores the request of `call` once and queues it for a worker (confirmation, or finishing a malformed step).
 * @throws AppError STORE_UNAVAILABLE (the caller answers 503: Bitrix24 does not resend, but nothing was promised)
 */
export async function receiveRobotCall(deps: ReceiveRobotCallDeps, call: TRobotCall): Promise<ReceivedRobotCall> {
  const id = robotRequestId(call.auth.member_id, call.event_token);
  const existing = await deps.store.signRequests.get(id);
  if (existing) return { request: existing, created: false };
  const request = buildRequest(call, id, deps.now());
  try {
    await deps.store.signRequests.create(request);
  } catch (error) {
    // A concurrent delivery of the same call created it first.
    const again = error instanceof AppError && error.code === ErrorCode.INVALID_ARGUMENT;
    const stored = again ? await deps.store.signRequests.get(id) : undefined;
    if (stored) return { request: stored, created: false };
    throw error;
  }
  const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: id, route: INTERNAL_ROUTE };
  // Not fatal: the worker's periodic sweep picks up robot requests nobody queued.
  await deps.queue.publish(INTERNAL_ROUTE, job, { messageId: `${id}.robot` }).catch((error: unknown) => {
    deps.logger.warn({ requestId: id, error }, 'robot request not queued; the sweep will pick it up');
  });
  return { request, created: true };
}
