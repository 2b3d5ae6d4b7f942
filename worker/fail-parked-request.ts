/**
 * A parked job must not leave its request hanging: the request fails with the reason (a `failed` sign log
 * entry, a log line and the failure notice, as any failure). Used as the queue's parked-job hook, and by the
 * recovery sweep for parks the hook could not finish (the store was failing, or RabbitMQ dead-lettered the
 * message itself). A request that is final already or still waits for its signer (its job had nothing to
 * do), or a job naming no request, is left alone.
 */
import { FINAL_STATES, WAITING_STATES } from '../shared/domain/sign-request.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import { parseSignJob } from '../shared/messages/sign-job.js';
import type { ParkedJob } from '../shared/queue/queue-port.js';
import { type PipelineDeps, pipelineContext } from './pipeline-context.js';
import { failRequest } from './steps/fail-request.js';

/** The request a parked job names, if its body is a sign job. */
export function parkedRequestId(parked: ParkedJob): string | undefined {
  const parsed = parseSignJob(parked.body);
  return parsed.ok ? parsed.job.requestId : undefined;
}

/** Fails the request of `parked` (if any and not final); returns true when it was failed now. */
export async function failParkedRequest(deps: PipelineDeps, parked: ParkedJob): Promise<boolean> {
  const requestId = parkedRequestId(parked);
  if (!requestId) return false;
  const current = await deps.store.signRequests.get(requestId);
  if (!current || FINAL_STATES.has(current.state) || WAITING_STATES.has(current.state)) return false;
  const log = deps.logger.child({ requestId, messageId: parked.messageId, route: parked.route });
  const failure = new AppError(ErrorCode.JOB_PARKED, `Its job was parked: ${parked.reason}`);
  const stored = await failRequest(pipelineContext(deps, log), requestId, failure);
  return stored?.state === 'failed' && stored.failure?.code === ErrorCode.JOB_PARKED;
}
