/**
 * The embedded adapter of the job queue port: a durable queue in one SQLite file, used when no AMQP_URL is
 * set. Same semantics as the RabbitMQ adapter — at least once, retry delays, bounded attempts, parking —
 * and safe to share between processes (an activity process publishing, worker processes consuming).
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { AppError, ErrorCode } from '../../errors.js';
import { type Logger, silentLogger } from '../../logger.js';
import type {
  ConsumeOptions,
  Consumer,
  JobHandler,
  JobQueue,
  ParkedJob,
  QueueDepth,
  RetryPolicy,
} from '../queue-port.js';
import { DEFAULT_RETRY_POLICY } from '../queue-port.js';
import { assertRoute } from '../queue-route.js';
import { normalizeRetryPolicy } from '../run-handler.js';
import { EmbeddedConsumer } from './embedded-consumer.js';
import { EmbeddedQueueDb, openQueueDatabase } from './embedded-queue-db.js';

export interface EmbeddedQueueOptions {
  /** The SQLite file, e.g. `<dataDir>/queue.sqlite`; created when missing. */
  file: string;
  logger?: Logger;
  /** @default DEFAULT_RETRY_POLICY */
  retry?: RetryPolicy;
  /** @default 8 */
  prefetch?: number;
  /** How long a job stays leased to a consumer that stopped extending it (a dead worker). @default 30000 */
  leaseMs?: number;
  /** Idle poll interval. @default 50 */
  pollMs?: number;
  /** Leases of one attempt without an outcome before the job is parked. @default 20 (as the AMQP delivery limit) */
  deliveryLimit?: number;
}

/** listParked returns at most this many jobs (oldest first). */
const PARKED_LIST_LIMIT = 1000;

export class EmbeddedJobQueue implements JobQueue {
  readonly kind = 'embedded' as const;
  private readonly sqlite: Database.Database;
  private readonly db: EmbeddedQueueDb;
  private readonly policy: RetryPolicy;
  private readonly logger: Logger;
  private readonly consumers = new Set<EmbeddedConsumer>();
  private closed = false;

  /** Opens (or creates) the queue file; throws FILE_IO when it cannot. */
  constructor(private readonly options: EmbeddedQueueOptions) {
    this.policy = normalizeRetryPolicy(options.retry ?? DEFAULT_RETRY_POLICY);
    this.logger = (options.logger ?? silentLogger).child({ component: 'queue', kind: 'embedded' });
    this.sqlite = openQueueDatabase(options.file);
    this.db = new EmbeddedQueueDb(this.sqlite);
  }

  async publish(route: string, body: unknown, options: { messageId?: string } = {}): Promise<void> {
    const text = JSON.stringify(body);
    if (text === undefined) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A job body must be JSON-serialisable.');
    await this.publishRaw(route, text, options);
  }

  /** Stores a body as it is (tools and tests; `publish` is the normal entry point). */
  async publishRaw(route: string, content: string, options: { messageId?: string } = {}): Promise<void> {
    assertRoute(route);
    this.assertOpen();
    try {
      this.db.insert(options.messageId ?? randomUUID(), route, content, Date.now());
    } catch (err) {
      const busy = /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code));
      const code = busy ? ErrorCode.QUEUE_UNAVAILABLE : ErrorCode.FILE_IO;
      throw new AppError(code, `Cannot store the job in ${this.options.file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (const c of this.consumers) if (c.routes.includes(route)) c.wake();
  }

  async consume(routes: readonly string[], handler: JobHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    this.assertOpen();
    if (routes.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'consume() needs at least one route.');
    for (const route of routes) assertRoute(route);
    const prefetch = options.prefetch ?? this.options.prefetch ?? 8;
    if (!Number.isInteger(prefetch) || prefetch < 1)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `prefetch must be a positive integer, got ${prefetch}.`);
    const consumer = new EmbeddedConsumer({
      db: this.db,
      routes: [...new Set(routes)],
      handler,
      ...(options.onParked ? { onParked: options.onParked } : {}),
      policy: this.policy,
      prefetch,
      leaseMs: this.options.leaseMs ?? 30_000,
      pollMs: this.options.pollMs ?? 50,
      deliveryLimit: this.options.deliveryLimit ?? 20,
      consumerId: randomUUID(),
      logger: this.logger,
    });
    this.consumers.add(consumer);
    return {
      close: async () => {
        this.consumers.delete(consumer);
        await consumer.close();
      },
    };
  }

  async depth(route: string): Promise<QueueDepth> {
    assertRoute(route);
    this.assertOpen();
    const now = Date.now();
    const { ready, delayed, parked, oldest } = this.db.depth(route, now);
    return { route, ready, delayed, parked, ...(oldest === null ? {} : { oldestAgeMs: Math.max(0, now - oldest) }) };
  }

  async listParked(route: string): Promise<ParkedJob[]> {
    assertRoute(route);
    this.assertOpen();
    return this.db.parked(route, PARKED_LIST_LIMIT).map((row) => ({
      messageId: row.messageId,
      route: row.route,
      body: parseOrText(row.body),
      reason: row.reason,
      attempts: row.attempts,
      parkedAt: new Date(row.parkedAt),
    }));
  }

  async liveMessageIds(): Promise<ReadonlySet<string>> {
    this.assertOpen();
    return this.db.liveIds();
  }

  /** How many jobs the file holds, live and parked. */
  counts(): { live: number; parked: number } {
    this.assertOpen();
    return this.db.counts();
  }

  /** Stops every consumer without settling its jobs and closes the file, as a killed process would. */
  async abandon(): Promise<void> {
    for (const c of this.consumers) c.abandon();
    this.consumers.clear();
    this.closeFile();
  }

  /** Closes the consumers gracefully (in-flight handlers finish and are settled), then the file. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.consumers.clear();
    this.closeFile();
  }

  private closeFile(): void {
    if (this.closed) return;
    this.closed = true;
    this.sqlite.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, 'The embedded queue is closed.');
  }
}

function parseOrText(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body; // parked because it is not JSON: shown as the text it is
  }
}
