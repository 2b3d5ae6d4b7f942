/**
 * The one consumer wrapper both queue adapters share: it decodes the raw body, runs the handler and turns
 * "returned" or "threw" into an outcome the adapter carries out — ack, retry after a delay, or park with a
 * reason. Retry vs. park comes from `errorOutcome(err).transient` (shared/errors.ts), never from the adapter.
 */
import { AppError, ErrorCode, errorOutcome } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeliveredJob, JobHandler, ParkedHook, ParkedJob, RetryPolicy } from './queue-port.js';

/** A message as the adapter received it, before its body is decoded. */
export interface RawDelivery {
  messageId: string;
  route: string;
  /** The stored body: UTF-8 JSON when published through `JobQueue.publish`. */
  content: Buffer | string;
  /** 1 for the first delivery; the adapters carry it in a header / column. */
  attempt: number;
  /** Aborted when the delivery is no longer this consumer's (DeliveredJob.signal). */
  signal: AbortSignal;
}

/** What the adapter must do with the message after the handler ran. */
export type JobOutcome =
  | { action: 'ack' }
  | { action: 'retry'; delayMs: number; nextAttempt: number; reason: string }
  | { action: 'park'; reason: string; attempts: number };

/** Fills in `maxAttempts` and checks the numbers once, so adapters can trust the policy. */
export function normalizeRetryPolicy(policy: Partial<RetryPolicy> & Pick<RetryPolicy, 'delaysMs'>): RetryPolicy {
  const delaysMs = [...policy.delaysMs];
  const maxAttempts = policy.maxAttempts ?? delaysMs.length + 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw new AppError(
      ErrorCode.INVALID_ARGUMENT,
      `Retry policy maxAttempts must be a positive integer, got ${maxAttempts}.`,
    );
  for (const d of delaysMs) {
    if (!Number.isInteger(d) || d <= 0)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `Retry policy delays must be positive integers (ms), got ${d}.`);
  }
  return { delaysMs, maxAttempts };
}

/**
 * Delay before the attempt after `failedAttempt` (1-based). Past the end of `delaysMs` the last delay
 * repeats; with no delays at all the retry is immediate.
 */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  const { delaysMs } = policy;
  if (delaysMs.length === 0) return 0;
  return delaysMs[Math.min(failedAttempt, delaysMs.length) - 1] as number;
}

/** Every distinct delay a policy can ask for (the AMQP adapter declares one retry queue per delay). */
export function retryTiers(policy: RetryPolicy): number[] {
  const tiers = new Set<number>();
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) tiers.add(retryDelayMs(policy, attempt));
  tiers.delete(0);
  return [...tiers].sort((a, b) => a - b);
}

function decodeBody(content: Buffer | string): { ok: true; body: unknown } | { ok: false; reason: string } {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `message body is not JSON (${(err as Error).message})` };
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof AppError) return err.message;
  return `${err instanceof Error ? err.name : 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Runs `handler` for one delivery and decides its outcome. Never throws: a handler error becomes a retry
 * (transient, attempts left), a park "gave up after N attempts" (transient, none left) or a park at once
 * (permanent — retrying would fail the same way). A body that is not JSON is parked without calling the handler.
 */
export async function runHandler(
  handler: JobHandler,
  delivery: RawDelivery,
  policy: RetryPolicy,
  logger: Logger,
): Promise<JobOutcome> {
  const { messageId, route, attempt } = delivery;
  const log = logger.child({ messageId, route, attempt });
  const decoded = decodeBody(delivery.content);
  if (!decoded.ok) {
    log.error({ reason: decoded.reason }, 'job parked: undecodable body');
    return { action: 'park', reason: decoded.reason, attempts: attempt };
  }
  const job: DeliveredJob = { messageId, route, body: decoded.body, attempt, signal: delivery.signal };
  try {
    await handler(job);
    return { action: 'ack' };
  } catch (err) {
    const reason = reasonOf(err);
    const code = err instanceof AppError ? err.code : undefined;
    if (!errorOutcome(err).transient) {
      log.error({ code, reason }, 'job parked: permanent failure');
      return { action: 'park', reason, attempts: attempt };
    }
    if (attempt >= policy.maxAttempts) {
      const parkReason = `gave up after ${attempt} attempts: ${reason}`;
      log.error({ code, reason: parkReason }, 'job parked: attempts exhausted');
      return { action: 'park', reason: parkReason, attempts: attempt };
    }
    const delayMs = retryDelayMs(policy, attempt);
    log.warn({ code, reason, delayMs }, 'job failed, will retry');
    return { action: 'retry', delayMs, nextAttempt: attempt + 1, reason };
  }
}

/** The body as a parked job shows it: parsed JSON, or the text as it is. */
export function parkedBody(content: Buffer | string): unknown {
  const decoded = decodeBody(content);
  return decoded.ok ? decoded.body : typeof content === 'string' ? content : content.toString('utf8');
}

/**
 * Tells `hook` (if any) that a job is about to be parked. Never throws: a failing hook is logged, the job is
 * parked anyway and the recovery sweep finishes what the hook could not.
 */
export async function tellParked(hook: ParkedHook | undefined, job: ParkedJob, logger: Logger): Promise<void> {
  if (!hook) return;
  try {
    await hook(job);
  } catch (err) {
    logger.error(
      { err, messageId: job.messageId, route: job.route },
      'parked-job hook failed; the recovery sweep will finish its request',
    );
  }
}
