/**
 * A RabbitMQ consumer: its own confirm channel with manual acks and prefetch, re-created by a setup function
 * on every reconnect. Each message goes through `runHandler` and its outcome is carried out on the channel
 * the message came from:
 *   ack   → basic.ack
 *   retry → publish to the delay tier with attempt + 1, wait for the confirm, then ack
 *   park  → publish to the parking queue with the reason, wait for the confirm, then ack
 * Republish-then-ack: a crash between the two duplicates the job, never loses it. If the channel died
 * meanwhile, nothing is acked and the broker redelivers the message to the next consumer; the handlers of
 * that channel's messages see their signal aborted, so they stop before their next effect.
 * A message RabbitMQ is about to dead-letter for its delivery limit (`x-delivery-count`) is parked here
 * instead, one delivery early, so the parked-job hook hears of it like of every other park.
 */
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../../logger.js';
import { InFlight } from '../in-flight.js';
import type { Consumer, JobHandler, ParkedHook, RetryPolicy } from '../queue-port.js';
import { type JobOutcome, parkedBody, runHandler, tellParked } from '../run-handler.js';
import type { AmqpConnection, AmqpSetup } from './amqp-connection.js';
import { publishConfirmed } from './amqp-publisher.js';
import {
  type AmqpNames,
  ATTEMPT_HEADER,
  ATTEMPTS_HEADER,
  DELIVERY_LIMIT,
  declareRoute,
  PARKED_AT_HEADER,
  REASON_HEADER,
} from './amqp-topology.js';

export interface AmqpConsumerOptions {
  connection: AmqpConnection;
  names: AmqpNames;
  routes: readonly string[];
  handler: JobHandler;
  onParked?: ParkedHook;
  policy: RetryPolicy;
  /** Handlers running at once for this consumer, over all its routes. */
  prefetch: number;
  logger: Logger;
}

/** Broker headers that describe a previous hop and must not follow the message to the next one. */
const HOP_HEADERS = /^(x-death|x-first-death-|x-last-death-|x-delivery-count)/;

export class AmqpConsumer implements Consumer {
  private readonly inFlight: InFlight;
  private readonly setup: AmqpSetup = (model) => this.attach(model);
  private current: { ch: ConfirmChannel; tags: string[] } | undefined;
  /** The handlers running per channel: aborted when their channel closes (the broker redelivers their messages). */
  private readonly running = new Map<ConfirmChannel, Set<AbortController>>();
  private closing = false;

  constructor(private readonly options: AmqpConsumerOptions) {
    this.inFlight = new InFlight(options.prefetch);
  }

  /** Registers the consumer; it starts at once when connected, or when the connection comes up. */
  async start(): Promise<void> {
    await this.options.connection.addSetup(this.setup);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.options.connection.removeSetup(this.setup);
    const current = this.current;
    if (current) await Promise.all(current.tags.map((tag) => current.ch.cancel(tag).catch(() => {})));
    await this.inFlight.idle();
    // Closing the channel returns the prefetched messages we did not start to the queue.
    if (current) await current.ch.close().catch(() => {});
  }

  /** Forgets the consumer without waiting for its handlers (the connection is about to be dropped). */
  abandon(): void {
    this.closing = true;
    this.options.connection.removeSetup(this.setup);
  }

  private async attach(model: ChannelModel): Promise<void> {
    const { names, routes, prefetch, logger } = this.options;
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => logger.warn({ err }, 'amqp: consumer channel error'));
    ch.on('close', () => {
      if (this.current?.ch === ch) this.current = undefined;
      for (const lost of this.running.get(ch) ?? [])
        lost.abort(new Error('the channel closed; the job is redelivered'));
      this.running.delete(ch);
      // A channel closed by the broker while the connection lives (e.g. a failed ack) is rebuilt with the
      // connection. Checked a moment later: when the connection itself dies, its channels close first.
      setTimeout(() => {
        if (!this.closing && this.options.connection.current === model)
          this.options.connection.restart('consumer channel closed');
      }, 100).unref();
    });
    // Per-consumer prefetch on each route; InFlight bounds the handlers over all routes together
    // (quorum queues do not support the channel-global prefetch).
    await ch.prefetch(prefetch);
    // Current before the first consume: deliveries can arrive before basic.consume-ok resolves below.
    const tags: string[] = [];
    this.current = { ch, tags };
    for (const route of routes) {
      await declareRoute(ch, names, route);
      const reply = await ch.consume(names.routeQueue(route), (msg) => this.onMessage(ch, route, msg), {
        noAck: false,
      });
      tags.push(reply.consumerTag);
    }
    // close() ran while we were attaching: it could not see this channel's consumers, so close it here.
    if (this.closing) await ch.close().catch(() => {});
    logger.debug({ routes, prefetch }, 'amqp: consumer attached');
  }

  private onMessage(ch: ConfirmChannel, route: string, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (queue deleted): rebuild everything on a fresh connection.
      if (!this.closing) this.options.connection.restart(`consumer of route ${route} cancelled by the broker`);
      return;
    }
    void this.inFlight.run(
      () => this.process(ch, route, msg),
      () => !this.closing && this.current?.ch === ch,
    );
  }

  private async process(ch: ConfirmChannel, route: string, msg: ConsumeMessage): Promise<void> {
    const { handler, policy, logger } = this.options;
    const attempt = Number(msg.properties.headers?.[ATTEMPT_HEADER] ?? 1);
    const messageId = String(msg.properties.messageId ?? `amqp-${msg.fields.deliveryTag}`);
    const lost = new AbortController();
    const running = this.running.get(ch) ?? new Set<AbortController>();
    this.running.set(ch, running.add(lost));
    const delivery = {
      messageId,
      route,
      content: msg.content,
      attempt: Number.isInteger(attempt) ? attempt : 1,
      signal: lost.signal,
    };
    let outcome: JobOutcome;
    try {
      outcome = this.deliveryLimitOutcome(msg, delivery) ?? (await runHandler(handler, delivery, policy, logger));
    } finally {
      running.delete(lost);
    }
    if (lost.signal.aborted) {
      logger.warn({ messageId, route }, 'amqp: channel lost while the job ran; not settled, the job is redelivered');
      return;
    }
    if (outcome.action === 'park') {
      const parked = { messageId, route, body: parkedBody(msg.content), ...outcome, parkedAt: new Date() };
      await tellParked(this.options.onParked, parked, logger);
    }
    try {
      await this.settle(ch, route, msg, outcome, delivery.attempt);
    } catch (err) {
      // The channel is gone: the broker will redeliver the message (at least once).
      logger.warn({ err, messageId, route, action: outcome.action }, 'amqp: could not settle, job will be redelivered');
    }
  }

  /** Park, not run, a message on its last delivery before RabbitMQ would dead-letter it silently. */
  private deliveryLimitOutcome(
    msg: ConsumeMessage,
    delivery: { messageId: string; route: string; attempt: number },
  ): JobOutcome | undefined {
    const count = Number(msg.properties.headers?.['x-delivery-count'] ?? 0);
    if (!(count >= DELIVERY_LIMIT - 1)) return undefined;
    const reason = `delivery limit exceeded: delivered ${count} times without an outcome (did a worker crash on it?)`;
    this.options.logger.error({ ...delivery, reason }, 'job parked: delivery limit exceeded');
    return { action: 'park', reason, attempts: delivery.attempt };
  }

  private async settle(
    ch: ConfirmChannel,
    route: string,
    msg: ConsumeMessage,
    outcome: JobOutcome,
    attempt: number,
  ): Promise<void> {
    const { names } = this.options;
    const headers = Object.fromEntries(
      Object.entries(msg.properties.headers ?? {}).filter(([name]) => !HOP_HEADERS.test(name)),
    );
    const properties = {
      messageId: msg.properties.messageId as string | undefined,
      contentType: msg.properties.contentType as string | undefined,
      timestamp: msg.properties.timestamp as number | undefined,
      persistent: true,
    };
    if (outcome.action === 'retry') {
      const retryHeaders = { ...headers, [ATTEMPT_HEADER]: outcome.nextAttempt };
      // Delay 0 (a policy without delays) goes straight back to the route's queue.
      const exchange = outcome.delayMs > 0 ? names.retryTier(outcome.delayMs) : names.jobsExchange;
      await publishConfirmed(ch, exchange, route, msg.content, { ...properties, headers: retryHeaders });
    } else if (outcome.action === 'park') {
      const parkHeaders = {
        ...headers,
        [ATTEMPT_HEADER]: attempt,
        [REASON_HEADER]: outcome.reason,
        [ATTEMPTS_HEADER]: outcome.attempts,
        [PARKED_AT_HEADER]: Date.now(),
      };
      await publishConfirmed(ch, '', names.parkedQueue(route), msg.content, { ...properties, headers: parkHeaders });
    }
    ch.ack(msg);
  }
}
