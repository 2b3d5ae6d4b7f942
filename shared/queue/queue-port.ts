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
  /**
   * Aborted when this delivery stopped being ours — its lease was lost (embedded) or its channel closed
   * (RabbitMQ) — so the job will be delivered again, maybe to another worker. A handler stops before its next
   * effect; the adapter never settles such a delivery.
   */
  signal: AbortSignal;
}

export type JobHandler = (job: DeliveredJob) => Promise<void>;

/**
 * Told about every job the adapter parks (permanent error, attempts exhausted, undecodable body, delivery
 * limit), before the job is moved to the parking place. An error is logged and the job is parked anyway: a
 * periodic reconciliation (the worker's recovery sweep) repeats what the hook could not do.
 */
export type ParkedHook = (job: ParkedJob) => Promise<void>;

export interface ConsumeOptions {
  /** Jobs handled at once by this consumer (over all its routes). */
  prefetch?: number;
  onParked?: ParkedHook;
}

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
  consume(routes: readonly string[], handler: JobHandler, options?: ConsumeOptions): Promise<Consumer>;
  depth(route: string): Promise<QueueDepth>;
  listParked(route: string): Promise<ParkedJob[]>;
  /**
   * The message ids of every job that is waiting, delayed for a retry or being worked on, over all routes
   * (not the parked ones) — or undefined when the transport cannot list them (RabbitMQ). The recovery sweep
   * uses it to tell a request whose job was lost from one whose job is still coming.
   */
  liveMessageIds(): Promise<ReadonlySet<string> | undefined>;
  close(): Promise<void>;
}
