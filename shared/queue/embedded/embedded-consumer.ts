/**
 * A polling consumer of the embedded queue. It leases up to `prefetch` jobs, runs each through
 * `runHandler`, and settles the outcome in the file: ack deletes, retry sets `available_at`, park moves
 * the row. It polls every `pollMs` when idle and at once after work or a publish from this process; other
 * processes' publishes are seen at the next poll, and a lease that fails (a full disk, a busy file) backs
 * the polling off up to `MAX_BACKOFF_MS`. While a handler runs its lease is extended; a lease that could not
 * be kept (taken over after it expired, or not extended in time) aborts the handler's signal and the job is
 * never settled here — only a dead or cut-off worker's jobs come back, and nobody works on a lost lease.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import { InFlight } from '../in-flight.js';
import type { Consumer, JobHandler, ParkedHook, RetryPolicy } from '../queue-port.js';
import { type JobOutcome, parkedBody, runHandler, tellParked } from '../run-handler.js';
import type { EmbeddedQueueDb, LeasedJob } from './embedded-queue-db.js';

export interface EmbeddedConsumerOptions {
  db: EmbeddedQueueDb;
  routes: readonly string[];
  handler: JobHandler;
  onParked?: ParkedHook;
  policy: RetryPolicy;
  prefetch: number;
  leaseMs: number;
  pollMs: number;
  /** Leases of one attempt without an outcome before the job is parked (a job that kills its worker). */
  deliveryLimit: number;
  /** Unique per consumer; lease owners are `<consumerId>/<n>`. */
  consumerId: string;
  logger: Logger;
}

/** The longest pause between lease attempts while leasing keeps failing. */
const MAX_BACKOFF_MS = 5000;

/** A job while its handler runs: the lease as last stored, and the signal that says it was lost. */
interface Held {
  job: LeasedJob;
  /** Epoch ms until which the stored lease is known to hold. */
  confirmedUntil: number;
  lost: AbortController;
}

export class EmbeddedConsumer implements Consumer {
  private readonly inFlight: InFlight;
  private readonly held = new Set<Held>();
  private readonly lease: ReturnType<EmbeddedQueueDb['leaser']>;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly loop: Promise<void>;
  private closing = false;
  private abandoned = false;
  private wakeUp: (() => void) | undefined;
  private leaseCount = 0;
  private leaseFailures = 0;

  constructor(private readonly options: EmbeddedConsumerOptions) {
    this.inFlight = new InFlight(options.prefetch);
    this.lease = options.db.leaser(options.routes);
    this.heartbeat = setInterval(() => this.extendLeases(), Math.max(10, Math.floor(options.leaseMs / 3)));
    this.loop = this.run();
  }

  get routes(): readonly string[] {
    return this.options.routes;
  }

  /** Polls now (a job was published in this process). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops leasing, waits for the running handlers and settles their jobs. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake();
    await this.loop;
    await this.inFlight.idle();
    clearInterval(this.heartbeat);
  }

  /** Stops at once without settling anything, as a killed process would; the leases expire by themselves. */
  abandon(): void {
    this.abandoned = true;
    this.closing = true;
    this.wake();
    clearInterval(this.heartbeat);
  }

  private async run(): Promise<void> {
    const { logger, leaseMs, consumerId } = this.options;
    while (!this.closing) {
      await this.inFlight.slot();
      if (this.closing) break;
      let job: LeasedJob | undefined;
      const now = Date.now();
      try {
        job = this.lease(`${consumerId}/${++this.leaseCount}`, now, leaseMs);
        this.leaseFailures = 0;
      } catch (err) {
        this.leaseFailures++;
        if (this.leaseFailures === 1 || this.leaseFailures % 20 === 0) {
          logger.warn({ err, failures: this.leaseFailures }, 'embedded queue: lease failed, backing off');
        }
      }
      if (!job) {
        await this.nap();
        continue;
      }
      const held: Held = { job, confirmedUntil: now + leaseMs, lost: new AbortController() };
      this.held.add(held);
      this.inFlight.track(this.process(held));
      await yieldToIo(); // a stream of instant handlers must not starve timers and I/O
    }
  }

  private nap(): Promise<void> {
    const { pollMs } = this.options;
    const ms = Math.min(MAX_BACKOFF_MS, pollMs * 2 ** Math.min(this.leaseFailures, 16));
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.leaseFailures > 0 ? Math.max(pollMs, ms) : pollMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      // A publish in this process wakes an idle consumer, not one backing off from a failing file.
      this.wakeUp = this.leaseFailures > 0 ? undefined : done;
    });
  }

  private async process(held: Held): Promise<void> {
    const { job } = held;
    const { handler, policy, logger, deliveryLimit } = this.options;
    try {
      const outcome: JobOutcome =
        job.deliveries > deliveryLimit
          ? this.deliveryLimitOutcome(job)
          : await runHandler(handler, { ...job, content: job.body, signal: held.lost.signal }, policy, logger);
      if (this.abandoned) return;
      if (held.lost.signal.aborted) {
        logger.warn(
          { messageId: job.messageId, route: job.route, action: outcome.action },
          'embedded queue: lease lost while the job ran; not settled, the job comes back',
        );
        return;
      }
      if (outcome.action === 'park') {
        const parkedAt = new Date();
        const { messageId, route } = job;
        const parked = { messageId, route, body: parkedBody(job.body), ...outcome, parkedAt };
        await tellParked(this.options.onParked, parked, logger);
      }
      if (!this.settle(job, outcome)) {
        logger.warn({ messageId: job.messageId, route: job.route }, 'embedded queue: lease lost before settling');
      }
    } catch (err) {
      logger.warn(
        { err, messageId: job.messageId },
        'embedded queue: could not settle, the job returns when its lease expires',
      );
    } finally {
      this.held.delete(held);
    }
  }

  private deliveryLimitOutcome(job: LeasedJob): JobOutcome {
    const reason =
      `delivery limit exceeded: delivered ${job.deliveries - 1} times without an outcome ` +
      '(did a worker crash on it?)';
    this.options.logger.error(
      { messageId: job.messageId, route: job.route, attempt: job.attempt, reason },
      'job parked: delivery limit exceeded',
    );
    return { action: 'park', reason, attempts: job.attempt };
  }

  private settle(job: LeasedJob, outcome: JobOutcome): boolean {
    const { db } = this.options;
    const now = Date.now();
    if (outcome.action === 'ack') return db.ack(job);
    if (outcome.action === 'retry') return db.retry(job, outcome.nextAttempt, now + outcome.delayMs);
    return db.park(job, outcome.reason, outcome.attempts, now);
  }

  /** Extends every held lease; a lease that is gone, or can no longer be vouched for, aborts its handler. */
  private extendLeases(): void {
    const now = Date.now();
    const until = now + this.options.leaseMs;
    for (const held of this.held) {
      if (held.lost.signal.aborted) continue;
      try {
        if (this.options.db.extend(held.job, until)) held.confirmedUntil = until;
        else this.loseLease(held, 'another consumer took the job after its lease expired');
      } catch (err) {
        // Not stored: once the last stored lease runs out, another consumer may take the job.
        if (now >= held.confirmedUntil - this.options.leaseMs / 3) {
          this.loseLease(held, `the lease could not be extended (${(err as Error).message})`);
        } else {
          this.options.logger.warn({ err, messageId: held.job.messageId }, 'embedded queue: could not extend a lease');
        }
      }
    }
  }

  private loseLease(held: Held, why: string): void {
    this.options.logger.warn(
      { messageId: held.job.messageId, route: held.job.route, why },
      'embedded queue: lease lost',
    );
    held.lost.abort(new Error(`lease lost: ${why}`));
  }
}
