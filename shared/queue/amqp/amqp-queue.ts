/**
 * The RabbitMQ adapter of the job queue port (topology in amqp-topology.ts). Used when AMQP_URL is set.
 * The connection comes up in the background and after every loss; publish, depth and listParked wait for
 * it up to `publishTimeoutMs`, then fail with QUEUE_UNAVAILABLE.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
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
import { normalizeRetryPolicy, retryTiers } from '../run-handler.js';
import { AmqpConnection } from './amqp-connection.js';
import { AmqpConsumer } from './amqp-consumer.js';
import { AmqpPublisher } from './amqp-publisher.js';
import { AmqpNames, ATTEMPT_HEADER, declareBase, declareRoute } from './amqp-topology.js';
import { toParkedJob } from './parked-message.js';

export interface AmqpQueueOptions {
  /** e.g. amqp://user:password@host:5672/vhost */
  url: string;
  logger?: Logger;
  /** @default DEFAULT_RETRY_POLICY */
  retry?: RetryPolicy;
  /** First part of every exchange and queue name. @default 'signservice' */
  namePrefix?: string;
  /** How long publish (and depth, listParked) wait for a connection and the broker's confirm. @default 30000 */
  publishTimeoutMs?: number;
  /** @default 8 */
  prefetch?: number;
  /** Shown in the RabbitMQ management UI and `rabbitmqctl list_connections`. @default 'signservice' */
  connectionName?: string;
}

/** listParked returns at most this many messages (the parking queue is read with basic.get, then requeued). */
const PARKED_LIST_LIMIT = 1000;

export class AmqpJobQueue implements JobQueue {
  readonly kind = 'amqp' as const;
  private readonly names: AmqpNames;
  private readonly policy: RetryPolicy;
  private readonly logger: Logger;
  private readonly connection: AmqpConnection;
  private readonly publisher: AmqpPublisher;
  private readonly timeoutMs: number;
  /** Routes used so far: re-declared on every reconnect. Value: the connection they were last declared on. */
  private readonly routes = new Map<string, ChannelModel | undefined>();
  private readonly consumers = new Set<AmqpConsumer>();

  /** Starts connecting in the background; never throws for an unreachable broker. */
  constructor(private readonly options: AmqpQueueOptions) {
    this.names = new AmqpNames(options.namePrefix ?? 'signservice');
    this.policy = normalizeRetryPolicy(options.retry ?? DEFAULT_RETRY_POLICY);
    this.logger = (options.logger ?? silentLogger).child({ component: 'queue', kind: 'amqp' });
    this.timeoutMs = options.publishTimeoutMs ?? 30_000;
    this.connection = new AmqpConnection({
      url: options.url,
      logger: this.logger,
      connectionName: options.connectionName ?? 'signservice',
    });
    void this.connection.addSetup((model) => this.declareTopology(model));
    this.publisher = new AmqpPublisher(this.connection, this.logger);
  }

  async publish(route: string, body: unknown, options: { messageId?: string } = {}): Promise<void> {
    const text = JSON.stringify(body);
    if (text === undefined) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A job body must be JSON-serialisable.');
    await this.publishRaw(route, Buffer.from(text, 'utf8'), options);
  }

  /** Publishes bytes as they are (tools and tests; `publish` is the normal entry point). */
  async publishRaw(route: string, content: Buffer, options: { messageId?: string } = {}): Promise<void> {
    assertRoute(route);
    const deadline = Date.now() + this.timeoutMs;
    await this.ensureRoute(route, deadline);
    const messageId = options.messageId ?? randomUUID();
    const properties = {
      messageId,
      persistent: true,
      contentType: 'application/json',
      timestamp: Math.floor(Date.now() / 1000),
      headers: { [ATTEMPT_HEADER]: 1 },
    };
    try {
      await this.publisher.publish(this.names.jobsExchange, route, content, properties, deadline);
    } catch (err) {
      this.routes.set(route, undefined); // declare again before the next publish (the queue may have been deleted)
      throw err;
    }
  }

  async consume(routes: readonly string[], handler: JobHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    if (routes.length === 0) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'consume() needs at least one route.');
    for (const route of routes) assertRoute(route);
    const prefetch = options.prefetch ?? this.options.prefetch ?? 8;
    if (!Number.isInteger(prefetch) || prefetch < 1)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `prefetch must be a positive integer, got ${prefetch}.`);
    for (const route of routes) if (!this.routes.has(route)) this.routes.set(route, undefined);
    const consumer = new AmqpConsumer({
      connection: this.connection,
      names: this.names,
      routes: [...routes],
      handler,
      ...(options.onParked ? { onParked: options.onParked } : {}),
      policy: this.policy,
      prefetch,
      logger: this.logger,
    });
    await consumer.start();
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
    return this.withChannel(route, async (ch) => {
      const ready = (await ch.checkQueue(this.names.routeQueue(route))).messageCount;
      const parked = (await ch.checkQueue(this.names.parkedQueue(route))).messageCount;
      let delayed = 0;
      // The delay tiers are shared by all routes, so `delayed` counts every route's waiting retries.
      for (const ms of retryTiers(this.policy)) delayed += (await ch.checkQueue(this.names.retryTier(ms))).messageCount;
      return { route, ready, delayed, parked };
    });
  }

  async listParked(route: string): Promise<ParkedJob[]> {
    assertRoute(route);
    return this.withChannel(route, async (ch) => {
      const jobs: ParkedJob[] = [];
      while (jobs.length < PARKED_LIST_LIMIT) {
        const msg: GetMessage | false = await ch.get(this.names.parkedQueue(route), { noAck: false });
        if (!msg) break;
        jobs.push(toParkedJob(route, msg));
      }
      return jobs; // closing the channel puts every message we got back into the parking queue
    });
  }

  /** RabbitMQ cannot list a queue's messages by id: undefined (the recovery sweep then goes by the request's age). */
  async liveMessageIds(): Promise<undefined> {
    return undefined;
  }

  /** Drops the connection without settling in-flight jobs, as a crashed process would (tests, emergencies). */
  async abandon(): Promise<void> {
    for (const c of this.consumers) c.abandon();
    this.consumers.clear();
    await this.connection.close();
  }

  /** Closes the consumers gracefully (in-flight handlers finish), then the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()));
    this.consumers.clear();
    await this.connection.close();
  }

  private async declareTopology(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', () => {}); // the failing call rejects with the same error
    try {
      await declareBase(ch, this.names, retryTiers(this.policy));
      for (const route of this.routes.keys()) {
        await declareRoute(ch, this.names, route);
        this.routes.set(route, model);
      }
    } finally {
      await ch.close().catch(() => {});
    }
  }

  /** Declares a route's queues once per connection before the first publish, so no message is unroutable. */
  private async ensureRoute(route: string, deadline: number): Promise<void> {
    if (!this.routes.has(route)) this.routes.set(route, undefined);
    for (;;) {
      const model = await this.connection.waitReady(deadline);
      if (this.routes.get(route) === model) return;
      try {
        await this.onTempChannel(model, (ch) => declareRoute(ch, this.names, route));
        this.routes.set(route, model);
        return;
      } catch (err) {
        // Lost the connection meanwhile: declare again on the next one. Same connection: a real refusal.
        await sleep(100);
        if (this.connection.current === model) throw err;
      }
    }
  }

  private async withChannel<T>(route: string, work: (ch: Channel) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    await this.ensureRoute(route, deadline);
    return this.onTempChannel(await this.connection.waitReady(deadline), work);
  }

  private async onTempChannel<T>(model: ChannelModel, work: (ch: Channel) => Promise<T>): Promise<T> {
    let ch: Channel;
    try {
      ch = await model.createChannel();
    } catch (err) {
      throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, 'The RabbitMQ connection was lost; try again.', { cause: err });
    }
    ch.on('error', () => {}); // the failing call rejects with the same error
    try {
      return await work(ch);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, `RabbitMQ refused a queue operation: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      await ch.close().catch(() => {});
    }
  }
}
