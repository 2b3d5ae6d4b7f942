/**
 * The job queue contract: one suite that both adapters must pass (RabbitMQ in amqp-queue.test.ts, the
 * embedded SQLite queue in embedded-queue.test.ts). It speaks only the JobQueue port, plus two test hooks
 * every adapter offers: publishing raw bytes (for a body that is not JSON) and abandoning the queue as a
 * crashed process would. The cases live in contract/delivery-cases.ts and contract/failure-cases.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ConsumeOptions, Consumer, DeliveredJob, JobQueue, RetryPolicy } from '../../shared/queue/queue-port.js';
import { deliveryCases } from './contract/delivery-cases.js';
import { failureCases } from './contract/failure-cases.js';

/** One opened queue under test. */
export interface QueueUnderTest {
  queue: JobQueue;
  /** Publishes a body as it is, bypassing JSON encoding. */
  publishRaw(route: string, content: string): Promise<void>;
  /** Drops the queue without settling in-flight jobs, as a killed process would. */
  abandon(): Promise<void>;
}

/** Opens a fresh queue instance of the adapter under test (instances may share the broker or file). */
export type OpenQueue = (options: { retry: RetryPolicy }) => Promise<QueueUnderTest>;

/** The shortened policy of the suite: retries after 100 ms and 200 ms, three attempts in all. */
export const TEST_RETRY: RetryPolicy = { delaysMs: [100, 200], maxAttempts: 3 };

/** What the cases get: queues and consumers that are closed after each case, and fresh route names. */
export interface ContractHarness {
  openQueue(retry?: RetryPolicy): Promise<QueueUnderTest>;
  consume(
    queue: JobQueue,
    routes: string[],
    handler: (job: DeliveredJob) => Promise<void>,
    options?: number | ConsumeOptions,
  ): Promise<Consumer>;
  newRoute(): string;
}

export function describeQueueContract(name: string, open: OpenQueue): void {
  describe(`JobQueue contract: ${name}`, () => {
    const run = randomBytes(3).toString('hex');
    let n = 0;
    let opened: QueueUnderTest[] = [];
    let consumers: Consumer[] = [];

    const harness: ContractHarness = {
      newRoute: () => `contract-${run}-${++n}`,
      openQueue: async (retry = TEST_RETRY) => {
        const q = await open({ retry });
        opened.push(q);
        return q;
      },
      consume: async (queue, routes, handler, options) => {
        const c = await queue.consume(routes, handler, typeof options === 'number' ? { prefetch: options } : options);
        consumers.push(c);
        return c;
      },
    };

    afterEach(async () => {
      await Promise.allSettled(consumers.map((c) => c.close()));
      await Promise.allSettled(opened.map((q) => q.queue.close()));
      consumers = [];
      opened = [];
    });

    deliveryCases(harness);
    failureCases(harness);
  });
}
