/**
 * The recovery sweep, run by every worker at start and every RECOVERY_SWEEP_SECONDS: it puts right what a
 * crash, a full disk or a lost file left behind, so that nothing stays stuck, stray or silent —
 *   1. parked jobs whose request is still open: the request fails with the reason (the parked-job hook does
 *      this at once; here for parks it could not finish, and for RabbitMQ's own dead-lettering);
 *   2. requests on their way through the pipeline with no job: queued again (requeue-orphans.ts) — this is
 *      also how a lost queue file is rebuilt from the store;
 *   3. signed documents nobody will deliver, and leftovers of interrupted writes: removed
 *      (remove-undeliverable.ts).
 * Every step is idempotent and safe with several workers sweeping at once. A failing step is logged and
 * the others still run; the next round tries again.
 */
import type { Logger } from '../../shared/logger.js';
import type { JobQueue } from '../../shared/queue/queue-port.js';
import type { Store } from '../../shared/store/store-ports.js';
import { failParkedRequest } from '../fail-parked-request.js';
import type { PipelineDeps } from '../pipeline-context.js';
import { removeUndeliverable } from './remove-undeliverable.js';
import { requeueOrphans } from './requeue-orphans.js';

export interface RecoveryDeps {
  store: Store;
  queue: JobQueue;
  /** For failing the requests of parked jobs (the pipeline's failure step). */
  pipeline: PipelineDeps;
  logger: Logger;
  /** The routes whose parked jobs this worker reconciles (the ones it serves). */
  routes: () => readonly string[];
  /** Directories whose leftover temporary files (of writers that are gone) are removed too. */
  fileDirs?: readonly string[];
  intervalMs: number;
  /** @default () => new Date() */
  now?: () => Date;
}

export interface RecoveryReport {
  parkedFailed: string[];
  requeued: string[];
  blobsRemoved: number;
  leftoversRemoved: number;
}

/**
 * A request younger than this (or half the interval, when that is shorter) is not queued again: its
 * submitter may be publishing its job right now. So a request that lost its job is queued within about
 * one and a half intervals.
 */
const GRACE_MS = 5000;

/** RabbitMQ cannot list its jobs: a request counts as orphaned after ten sweep intervals without a change. */
const STALE_INTERVALS = 10;

async function step<T>(logger: Logger, name: string, work: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    logger.warn({ error, step: name }, 'recovery sweep: a step failed; the next round tries again');
    return fallback;
  }
}

async function failParked(deps: RecoveryDeps): Promise<string[]> {
  const failed: string[] = [];
  for (const route of deps.routes()) {
    for (const parked of await deps.queue.listParked(route)) {
      if (await failParkedRequest(deps.pipeline, parked)) failed.push(parked.messageId);
    }
  }
  return failed;
}

/** One round of the sweep. Never throws. */
export async function sweepOnce(deps: RecoveryDeps): Promise<RecoveryReport> {
  const now = deps.now ?? (() => new Date());
  const { logger } = deps;
  const parkedFailed = await step(logger, 'parked', () => failParked(deps), []);
  const requeued = await step(
    logger,
    'requeue',
    () =>
      requeueOrphans({
        ...deps,
        now,
        graceMs: Math.min(GRACE_MS, deps.intervalMs / 2),
        staleMs: Math.max(GRACE_MS, STALE_INTERVALS * deps.intervalMs),
      }),
    [],
  );
  const removed = await step(logger, 'blobs', () => removeUndeliverable(deps.store, now(), deps.fileDirs), {
    blobs: 0,
    leftovers: 0,
  });
  const report = { parkedFailed, requeued, blobsRemoved: removed.blobs, leftoversRemoved: removed.leftovers };
  if (requeued.length > 0) {
    logger.warn(
      { count: requeued.length, requests: requeued.slice(0, 20) },
      'recovery sweep: queued again requests that had no job (a submit cut short, a lost or rebuilt queue)',
    );
  }
  if (parkedFailed.length > 0 || removed.blobs > 0 || removed.leftovers > 0) {
    logger.info({ ...report, requeued: requeued.length }, 'recovery sweep');
  }
  return report;
}

/** Runs the sweep now and then every `intervalMs` until stopped; rounds never overlap. */
export function startRecoverySweep(deps: RecoveryDeps): { first: Promise<RecoveryReport>; stop(): Promise<void> } {
  let running: Promise<unknown> = sweepOnce(deps);
  const first = running as Promise<RecoveryReport>;
  const timer = setInterval(() => {
    running = running.then(() => sweepOnce(deps));
  }, deps.intervalMs);
  timer.unref();
  return {
    first,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
