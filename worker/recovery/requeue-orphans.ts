/**
 * Requests on their way through the pipeline (approved, signing, signed, delivered) that no job will ever
 * move: the submitter died between storing the request and queuing its job, the queue could not take the
 * job (full disk, broker down), the queue file was lost. Each gets a new job; the steps are idempotent, so
 * a request whose job was only slow is harmless to queue twice. Which requests have a job: the embedded
 * queue lists its jobs (`liveMessageIds`); RabbitMQ cannot, so there a request counts as orphaned once
 * nothing changed it for `staleMs`. A re-queued request is touched first (compare-and-set), so of several
 * workers sweeping at once one queues it, and it is not queued again before it is stale once more.
 */
import { IN_PIPELINE_STATES, type SignRequest } from '../../shared/domain/sign-request.js';
import type { Logger } from '../../shared/logger.js';
import { requestIdsOfMessages, type TSignJobV1 } from '../../shared/messages/sign-job.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import type { Store } from '../../shared/store/store-ports.js';

export interface RequeueDeps {
  store: Store;
  queue: JobQueue;
  logger: Logger;
  now: () => Date;
  /** A request younger than this is left alone: its submitter may be publishing its job right now. */
  graceMs: number;
  /** RabbitMQ: how long a request must have stayed unchanged to count as orphaned. */
  staleMs: number;
}

/** Requests per state and sweep; more are taken by the next sweeps. */
const BATCH = 500;

/** Requests that need a job and have none. */
async function orphans(deps: RequeueDeps): Promise<SignRequest[]> {
  const listed = await deps.queue.liveMessageIds();
  const live = listed ? requestIdsOfMessages(listed) : undefined;
  const age = live ? deps.graceMs : deps.staleMs;
  const updatedBefore = new Date(deps.now().getTime() - age);
  const found: SignRequest[] = [];
  for (const state of IN_PIPELINE_STATES) {
    for (const request of await deps.store.signRequests.list({ state, updatedBefore }, BATCH)) {
      if (!live?.has(request.id)) found.push(request);
    }
  }
  return found;
}

/** Queues a job for every orphaned request; returns the ids it queued. */
export async function requeueOrphans(deps: RequeueDeps): Promise<string[]> {
  const queued: string[] = [];
  for (const request of await orphans(deps)) {
    const at = deps.now();
    if (!(await deps.store.signRequests.update({ ...request, updatedAt: at }, request.version))) continue;
    const job: TSignJobV1 = { type: 'sign-request', version: 1, requestId: request.id, route: request.route };
    try {
      await deps.queue.publish(request.route, job, { messageId: `${request.id}.recovered.${at.getTime()}` });
      queued.push(request.id);
    } catch (error) {
      deps.logger.warn({ requestId: request.id, error }, 'recovery: could not queue the request; next sweep retries');
    }
  }
  return queued;
}
