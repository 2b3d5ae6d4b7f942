/**
 * The worker's share of robot requests besides signing: a job may name a robot request that needs no
 * signature (yet) — `received` (find the signer's account), or final without a finished workflow step
 * (failed at the robot call, expired, rejected) — and the periodic sweep (reference §4.3: a step left
 * waiting hangs the workflow) expires requests past their deadline, finishes steps nobody finished, and
 * picks up `received` requests nobody queued. Everything else goes to the signing pipeline.
 */
import { FINAL_STATES, type SignRequest } from '../../shared/domain/sign-request.js';
import { parseSignJob } from '../../shared/messages/sign-job.js';
import type { DeliveredJob } from '../../shared/queue/queue-port.js';
import { expireSignRequest, isOverdue } from '../../shared/sign-requests/expire-sign-request.js';
import type { SignJobResult } from '../sign-request-handler.js';
import { finishUnsignedStep, type RobotDeps } from './finish-robot-step.js';
import { prepareRobotRequest } from './prepare-robot-request.js';

/** A final robot request whose workflow step is not finished yet. */
function unfinished(request: SignRequest): boolean {
  return (
    request.robot !== undefined &&
    request.state !== 'completed' &&
    FINAL_STATES.has(request.state) &&
    !request.steps.callback
  );
}

/** Wraps the signing pipeline's handler with the robot cases. */
export function withRobotJobs(
  deps: RobotDeps,
  pipeline: (job: DeliveredJob) => Promise<SignJobResult>,
): (job: DeliveredJob) => Promise<SignJobResult> {
  return async function handleJob(job) {
    const parsed = parseSignJob(job.body);
    if (!parsed.ok) return pipeline(job);
    const request = await deps.store.signRequests.get(parsed.job.requestId);
    if (request?.robot && request.state === 'received') return prepareRobotRequest(deps, request);
    if (request && unfinished(request)) {
      await finishUnsignedStep(deps, request);
      return 'failed';
    }
    return pipeline(job);
  };
}

/** How stale a `received` or unfinished request must be before the sweep takes it (its job may be running). */
const SWEEP_GRACE_MS = 20_000;
const SWEEP_BATCH = 500;

/** Runs `act` on one request; a failure is logged and left for the next round (it must not stop the others). */
async function attempt(deps: RobotDeps, request: SignRequest, act: () => Promise<unknown>): Promise<number> {
  try {
    await act();
    return 1;
  } catch (error) {
    deps.logger.warn({ requestId: request.id, state: request.state, error }, 'robot sweep: retrying next round');
    return 0;
  }
}

/** One sweep; returns how many requests it acted on. */
export async function sweepRobotRequests(deps: RobotDeps): Promise<number> {
  const now = deps.now();
  const stale = (r: SignRequest) => now.getTime() - r.updatedAt.getTime() >= SWEEP_GRACE_MS;
  let acted = 0;
  for (const request of await deps.store.signRequests.list({ state: 'awaiting_signer' }, SWEEP_BATCH)) {
    if (!request.robot || !isOverdue(request, now)) continue;
    acted += await attempt(deps, request, async () => {
      const expired = await expireSignRequest(deps, request, now);
      if (expired) await finishUnsignedStep(deps, expired);
    });
  }
  for (const request of await deps.store.signRequests.list({ state: 'received' }, SWEEP_BATCH)) {
    if (!request.robot || !stale(request)) continue;
    acted += await attempt(deps, request, async () => {
      const expired = await expireSignRequest(deps, request, now);
      await (expired ? finishUnsignedStep(deps, expired) : prepareRobotRequest(deps, request));
    });
  }
  for (const state of ['failed', 'expired', 'rejected'] as const) {
    for (const request of await deps.store.signRequests.list({ state }, SWEEP_BATCH)) {
      if (unfinished(request) && stale(request)) {
        acted += await attempt(deps, request, () => finishUnsignedStep(deps, request));
      }
    }
  }
  return acted;
}

/** Runs the sweep every `intervalMs` until stopped; errors are logged and the next round tries again. */
export function startRobotSweep(deps: RobotDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      try {
        const acted = await sweepRobotRequests(deps);
        if (acted > 0) deps.logger.info({ acted }, 'robot sweep');
      } catch (error) {
        deps.logger.warn({ error }, 'robot sweep failed; next round retries');
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
