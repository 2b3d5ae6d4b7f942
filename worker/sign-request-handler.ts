/**
 * The worker's handler of sign jobs. A job names a request; the request in the store says how far it got.
 * Pipeline: load → (final: ack) → (awaiting signer: ack, nothing to do) → fetch → sign → deliver → sign log
 * → notify and workflow callback side by side → completed. Every step records its result with compare-and-set
 * and is skipped when the stored request says it is done, so a redelivered job resumes after the last
 * finished step and never signs twice. Errors: transient ones are thrown for the queue to retry (on the last attempt
 * the request is marked failed first); permanent ones mark the request failed and the job is acknowledged.
 */
import { FINAL_STATES, type SignRequest } from '../shared/domain/sign-request.js';
import { AppError, ErrorCode, errorOutcome } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { parseSignJob } from '../shared/messages/sign-job.js';
import type { DeliveredJob } from '../shared/queue/queue-port.js';
import {
  type PipelineContext,
  type PipelineDeps,
  type PipelineStep,
  pipelineContext,
  RequestChanged,
} from './pipeline-context.js';
import { completeRequest } from './steps/complete-request.js';
import { deliverDocument } from './steps/deliver-document.js';
import { failRequest } from './steps/fail-request.js';
import { fetchDocument } from './steps/fetch-document.js';
import { logSignature } from './steps/log-signature.js';
import { reportSignature } from './steps/report-signature.js';
import { signDocument } from './steps/sign-document.js';

/** The steps in order. */
export const PIPELINE: readonly PipelineStep[] = [
  fetchDocument,
  signDocument,
  deliverDocument,
  logSignature,
  reportSignature,
  completeRequest,
];

/** How a job ended when it was acknowledged (a thrown error means "retry" or "park" instead). */
export type SignJobResult = 'completed' | 'failed' | 'already-final' | 'waiting';

/** Reloads after lost compare-and-sets before giving up (transient: the queue retries later). */
const MAX_RELOADS = 10;

/** Throws JOB_LEASE_LOST once the job is no longer this worker's: the next holder carries on. */
function assertStillOurs(ctx: PipelineContext, requestId: string): void {
  if (!ctx.signal?.aborted) return;
  throw new AppError(
    ErrorCode.JOB_LEASE_LOST,
    `stopped working on sign request ${requestId}: ${(ctx.signal.reason as Error | undefined)?.message ?? 'the job is no longer ours'}`,
  );
}

/** Runs the steps that are not done yet; returns the request as stored at the end. */
async function runSteps(ctx: PipelineContext, start: SignRequest): Promise<SignRequest> {
  let request = start;
  for (const step of PIPELINE) {
    const began = performance.now();
    if (step.done(request)) {
      ctx.deps.observer?.step(step.name, 0, 'skipped');
      continue;
    }
    // Checked before work that is still to do only: a request this run already completed (a file request
    // completes with its delivery) is reported completed even if the job was taken away meanwhile.
    assertStillOurs(ctx, request.id);
    try {
      request = await step.run(ctx, request);
      ctx.deps.observer?.step(step.name, (performance.now() - began) / 1000, 'done');
    } catch (error) {
      ctx.deps.observer?.step(step.name, (performance.now() - began) / 1000, 'error');
      throw error;
    }
  }
  return request;
}

/** Loads the request and runs the pipeline, starting over from the stored request after a lost race. */
async function advance(ctx: PipelineContext, requestId: string, job: DeliveredJob): Promise<SignJobResult> {
  for (let reload = 0; reload < MAX_RELOADS; reload++) {
    const request = await ctx.deps.store.signRequests.get(requestId);
    if (!request) {
      throw new AppError(ErrorCode.SIGN_REQUEST_NOT_FOUND, `No sign request with id ${requestId}; the job is dropped`);
    }
    if (FINAL_STATES.has(request.state)) return 'already-final';
    // Waiting for a person (a robot request not approved yet): it is enqueued again on approval.
    if (request.state === 'received' || request.state === 'awaiting_signer') return 'waiting';
    if (job.route !== request.route) {
      ctx.log.warn(
        { jobRoute: job.route, requestRoute: request.route },
        'job arrived on another route than its request names',
      );
    }
    try {
      await runSteps(ctx, request);
      return 'completed';
    } catch (error) {
      if (!(error instanceof RequestChanged)) throw error;
      ctx.log.debug({}, 'sign request changed meanwhile; reloading');
    }
  }
  throw new AppError(ErrorCode.INTERNAL, `sign request ${requestId} kept changing under this worker; will retry`);
}

async function runJob(deps: PipelineDeps, requestId: string, job: DeliveredJob, log: Logger): Promise<SignJobResult> {
  const ctx = pipelineContext(deps, log, job.signal);
  try {
    return await advance(ctx, requestId, job);
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.SIGN_REQUEST_NOT_FOUND) throw error;
    // Not ours any more: whoever holds the job now decides about the request.
    if (job.signal?.aborted) throw error;
    const { transient } = errorOutcome(error);
    if (transient && job.attempt < deps.maxAttempts) throw error;
    await failRequest(ctx, requestId, error);
    // A transient error on the last attempt is rethrown so the queue parks the job with its reason.
    if (transient) throw error;
    return 'failed';
  }
}

/**
 * Creates the handler. Jobs for the same request are run one after the other in this process (a redelivery
 * arriving while the first run is still busy waits for it and then finds the work done).
 * @throws AppError INVALID_ARGUMENT for a malformed job, SIGN_REQUEST_NOT_FOUND (both parked at once), and
 *   transient errors for the queue to retry.
 */
export function createSignRequestHandler(deps: PipelineDeps): (job: DeliveredJob) => Promise<SignJobResult> {
  const running = new Map<string, Promise<SignJobResult>>();
  return async function handleSignJob(job) {
    const parsed = parseSignJob(job.body);
    if (!parsed.ok) throw new AppError(ErrorCode.INVALID_ARGUMENT, parsed.reason);
    const { requestId } = parsed.job;
    const log = deps.logger.child({ requestId, messageId: job.messageId, attempt: job.attempt });
    const previous = running.get(requestId);
    const run = (previous ?? Promise.resolve()).catch(() => undefined).then(() => runJob(deps, requestId, job, log));
    running.set(requestId, run);
    try {
      return await run;
    } finally {
      if (running.get(requestId) === run) running.delete(requestId);
    }
  };
}
