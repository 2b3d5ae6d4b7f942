/**
 * One queue consumer per route, so one token's queue can be paused (token unplugged) while the others and
 * `internal` keep flowing. Starts and stops of the same route run one after the other.
 */
import type { Logger } from '../shared/logger.js';
import type { ConsumeOptions, Consumer, JobHandler, JobQueue } from '../shared/queue/queue-port.js';

export class RouteConsumers {
  private readonly active = new Map<string, Consumer>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly handler: JobHandler,
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
  ) {}

  /** The routes being consumed now. */
  get routes(): string[] {
    return [...this.active.keys()];
  }

  /** Starts consuming `route` (no-op when already consuming or closed). */
  resume(route: string): Promise<void> {
    return this.serial(async () => {
      if (this.closed || this.active.has(route)) return;
      this.active.set(route, await this.queue.consume([route], this.handler, this.options));
      this.logger.info({ route }, 'consuming');
    });
  }

  /** Stops taking jobs from `route`; waits for its jobs in flight. */
  pause(route: string): Promise<void> {
    return this.serial(async () => {
      const consumer = this.active.get(route);
      if (!consumer) return;
      this.active.delete(route);
      await consumer.close();
      this.logger.info({ route }, 'paused');
    });
  }

  /** Stops every consumer and waits for all jobs in flight; later resumes do nothing. */
  close(): Promise<void> {
    return this.serial(async () => {
      this.closed = true;
      const consumers = [...this.active.values()];
      this.active.clear();
      await Promise.all(consumers.map((c) => c.close()));
    });
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
