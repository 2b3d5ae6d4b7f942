/**
 * A polling consumer of the embedded queue. It leases up to `prefetch` jobs, runs each through
 * `runHandler`, and settles the outcome in the file: ack deletes, retry sets `available_at`, park moves
 * the row. It polls every `pollMs` when idle and at once after work or a publish from this process; other
 * processes' publishes are seen at the next poll. While a handler runs its lease is extended, so only a
 * dead worker's jobs come back.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Logger } from '../../logger.js';
import { InFlight } from '../in-flight.js';
import type { Consumer, JobHandler, RetryPolicy } from '../queue-port.js';
import { type JobOutcome, runHandler } from '../run-handler.js';
import type { EmbeddedQueueDb, LeasedJob } from './embedded-queue-db.js';

export interface EmbeddedConsumerOptions {
  db: EmbeddedQueueDb;
  routes: readonly string[];
  handler: JobHandler;
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

export class EmbeddedConsumer implements Consumer {
  private readonly inFlight: InFlight;
  private readonly leases = new Set<LeasedJob>();
  private readonly lease: ReturnType<EmbeddedQueueDb['leaser']>;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly loop: Promise<void>;
  private closing = false;
  private abandoned = false;
  private wakeUp: (() => void) | undefined;
  private leaseCount = 0;

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
      try {
        job = this.lease(`${consumerId}/${++this.leaseCount}`, Date.now(), leaseMs);
      } catch (err) {
        logger.warn({ err }, 'embedded queue: lease failed, polling again');
      }
      if (!job) {
        await this.nap();
        continue;
      }
      this.leases.add(job);
      this.inFlight.track(this.process(job));
      await yieldToIo(); // a stream of instant handlers must not starve timers and I/O
    }
  }

  private nap(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.pollMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async process(job: LeasedJob): Promise<void> {
    const { handler, policy, logger, deliveryLimit } = this.options;
    try {
      const outcome: JobOutcome =
        job.deliveries > deliveryLimit
          ? {
              action: 'park',
              reason: `delivery limit exceeded: delivered ${job.deliveries - 1} times without an outcome (did a worker crash on it?)`,
              attempts: job.attempt,
            }
          : await runHandler(handler, { ...job, content: job.body }, policy, logger);
      if (this.abandoned) return;
      if (!this.settle(job, outcome)) {
        logger.warn({ messageId: job.messageId, route: job.route }, 'embedded queue: lease lost before settling');
      }
    } catch (err) {
      logger.warn(
        { err, messageId: job.messageId },
        'embedded queue: could not settle, the job returns when its lease expires',
      );
    } finally {
      this.leases.delete(job);
    }
  }

  private settle(job: LeasedJob, outcome: JobOutcome): boolean {
    const { db } = this.options;
    const now = Date.now();
    if (outcome.action === 'ack') return db.ack(job);
    if (outcome.action === 'retry') return db.retry(job, outcome.nextAttempt, now + outcome.delayMs);
    return db.park(job, outcome.reason, outcome.attempts, now);
  }

  private extendLeases(): void {
    const until = Date.now() + this.options.leaseMs;
    for (const job of this.leases) {
      try {
        this.options.db.extend(job, until);
      } catch (err) {
        this.options.logger.warn({ err, messageId: job.messageId }, 'embedded queue: could not extend a lease');
      }
    }
  }
}
