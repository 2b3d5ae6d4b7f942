/**
 * The job queue port. Two adapters: RabbitMQ (production: quorum queues, publisher confirms, manual
 * acks, TTL + dead-letter retries, a parking queue) and an embedded durable queue in the embedded store.
 * Delivery is at least once; handlers must be idempotent (the sign request's step records make them so).
 *
 * A handler returns to acknowledge. When it throws, the one mapping in `errorOutcome` decides: transient
 * errors are retried with increasing delay up to `maxAttempts`, then parked; permanent ones are parked at
 * once with the error's message as the reason.
 */
export interface RetryPolicy {
  /** Delays before attempts 2, 3, … (ms). @default [1000, 5000, 30000, 120000] */
  delaysMs: readonly number[];
  /** Attempts in all, including the first. @default delaysMs.length + 1 */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { delaysMs: [1000, 5000, 30_000, 120_000], maxAttempts: 5 };

export interface DeliveredJob {
  /** Stable id of the message (publisher-assigned), for logs and de-duplication. */
  messageId: string;
  /** The route (queue name suffix) it was consumed from. */
  route: string;
  body: unknown;
  /** 1 for the first delivery. */
  attempt: number;
}

export type JobHandler = (job: DeliveredJob) => Promise<void>;

export interface Consumer {
  /** Stops taking new jobs and waits for the in-flight handlers. */
  close(): Promise<void>;
}

export interface QueueDepth {
  route: string;
  ready: number;
  delayed: number;
  parked: number;
  /** Age of the oldest ready job in ms (queue lag), when known. */
  oldestAgeMs?: number;
}

export interface ParkedJob {
  messageId: string;
  route: string;
  body: unknown;
  reason: string;
  attempts: number;
  parkedAt: Date;
}

export interface JobQueue {
  readonly kind: 'amqp' | 'embedded';
  /** Publishes durably (confirmed by the broker / committed to the file) before resolving. */
  publish(route: string, body: unknown, options?: { messageId?: string }): Promise<void>;
  consume(routes: readonly string[], handler: JobHandler, options?: { prefetch?: number }): Promise<Consumer>;
  depth(route: string): Promise<QueueDepth>;
  listParked(route: string): Promise<ParkedJob[]>;
  close(): Promise<void>;
}
