/**
 * Publishing with publisher confirms: `publish` resolves only after the broker has taken responsibility for
 * the message (for quorum queues: a majority has written it). It waits for a connection, and when the
 * connection drops before the confirm it publishes again on the next one — a possible duplicate, never a
 * loss; consumers are idempotent. Past the deadline it rejects with QUEUE_UNAVAILABLE.
 *
 * Messages are published `mandatory`: a message that no queue takes comes back (basic.return before the
 * confirm) and the publish fails instead of the message vanishing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import { AppError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { AmqpConnection } from './amqp-connection.js';

/** Wraps one confirmed publish on `ch` in a promise (amqplib fails pending confirms when the channel closes). */
export function publishConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    try {
      ch.publish(exchange, routingKey, content, options, (err: unknown) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err); // amqplib throws IllegalOperationError synchronously on a closed channel
    }
  });
}

/** Pause between publish attempts on a failing channel, so a dying connection is not hammered. */
const RETRY_PAUSE_MS = 50;

/** The publishing side of the queue: one confirm channel per connection, opened on first use. */
export class AmqpPublisher {
  private channel: { model: ChannelModel; ch: ConfirmChannel } | undefined;
  private opening: { model: ChannelModel; promise: Promise<ConfirmChannel> } | undefined;
  private readonly returned = new Set<string>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes and waits for the broker's confirm, publishing again after a reconnect, until `deadline`
   * (epoch ms). `options.messageId` must be set: a returned message is recognised by it.
   */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish & { messageId: string },
    deadline: number,
  ): Promise<void> {
    let lastError: unknown;
    for (;;) {
      const ch = await this.channelFor(deadline, lastError);
      try {
        const confirmed = publishConfirmed(ch, exchange, routingKey, content, { ...options, mandatory: true });
        await withDeadline(confirmed, deadline);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if ((err as Error).message === 'message nacked') {
          throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, `RabbitMQ refused message ${options.messageId} (nack).`, {
            cause: err,
          });
        }
        lastError = err; // the channel closed before the confirm: publish again on the next connection
        this.logger.debug({ err, messageId: options.messageId }, 'amqp: publish not confirmed, publishing again');
        await sleep(RETRY_PAUSE_MS); // the connection may still look ready while its close is being processed
        continue;
      }
      if (this.returned.delete(options.messageId)) {
        throw new AppError(
          ErrorCode.QUEUE_UNAVAILABLE,
          `RabbitMQ routed message ${options.messageId} to no queue (exchange ${exchange}, key ${routingKey}).`,
        );
      }
      return;
    }
  }

  /** The confirm channel of the ready connection. */
  private async channelFor(deadline: number, lastError: unknown): Promise<ConfirmChannel> {
    for (;;) {
      const model = await this.connection.waitReady(deadline).catch((err: AppError) => {
        throw lastError ? new AppError(err.code, err.message, { cause: lastError }) : err;
      });
      if (this.channel?.model === model) return this.channel.ch;
      if (this.opening?.model !== model) this.opening = { model, promise: this.open(model) };
      const { promise } = this.opening;
      try {
        return await withDeadline(promise, deadline);
      } catch (err) {
        if (this.opening?.promise === promise) this.opening = undefined;
        if (err instanceof AppError) throw err;
        lastError = err;
        await sleep(RETRY_PAUSE_MS);
      }
    }
  }

  private async open(model: ChannelModel): Promise<ConfirmChannel> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => this.logger.warn({ err }, 'amqp: publish channel error'));
    ch.on('return', (msg: Message) => {
      const id = msg.properties.messageId as string | undefined;
      if (id) this.returned.add(id);
    });
    ch.on('close', () => {
      if (this.channel?.ch === ch) this.channel = undefined;
    });
    this.channel = { model, ch };
    return ch;
  }
}

/** Rejects with QUEUE_UNAVAILABLE if `promise` has not settled by `deadline` (epoch ms). */
export async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError(ErrorCode.QUEUE_UNAVAILABLE, 'RabbitMQ did not confirm in time; is the broker up?')),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
