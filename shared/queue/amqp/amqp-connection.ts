/**
 * One RabbitMQ connection that comes back by itself. It connects with backoff (100 ms doubling to 5 s,
 * with jitter so a fleet of workers does not reconnect in lockstep), then replays every registered setup
 * function in order — topology first, then consumers — before anyone may use it (the
 * amqp-connection-manager pattern: `addSetup` / `_onConnect`). A setup that fails drops the connection and
 * the loop starts over, so a half-configured connection is never handed out.
 *
 * Small and written here rather than taken from amqp-connection-manager (a second dependency with its own
 * channel wrapper and publish buffer) or amqplib's `recovery` option (which recovers the connection only):
 * we need exactly three things — replayed setups, "wait until ready" with a deadline, and a clean close.
 */

import type { ChannelModel } from 'amqplib';
import amqplib from 'amqplib';
import { AppError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../logger.js';

/** Runs on every fresh connection; must be idempotent (declare, not create). */
export type AmqpSetup = (model: ChannelModel) => Promise<void>;

export interface AmqpConnectionOptions {
  url: string;
  logger: Logger;
  /** Name shown by `rabbitmqctl list_connections client_properties`. @default 'signservice' */
  connectionName?: string;
  /** @default 100 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
  /** Injected for tests of the loop; @default amqplib.connect */
  connect?: (
    url: string,
    options: { clientProperties: Record<string, unknown>; timeout: number },
  ) => Promise<ChannelModel>;
}

/** Socket connect timeout of one attempt. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Backoff before reconnect attempt `n` (0-based): doubling from min to max, each delay scaled by 0.75–1.25. */
export function backoffMs(n: number, minMs = 100, maxMs = 5000): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(n, 30));
  return Math.round(Math.min(maxMs, base * (0.75 + Math.random() * 0.5)));
}

export class AmqpConnection {
  private readonly setups: AmqpSetup[] = [];
  private ready: ChannelModel | undefined;
  private waiters: Array<() => void> = [];
  private closing = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(private readonly options: AmqpConnectionOptions) {
    this.loop = this.run();
  }

  /** The connection when it is up and every setup has run on it. */
  get current(): ChannelModel | undefined {
    return this.ready;
  }

  /**
   * Registers a setup. If the connection is ready it runs at once and its error is thrown (after which it
   * is not kept); otherwise it runs when the connection comes up.
   */
  async addSetup(setup: AmqpSetup): Promise<void> {
    this.setups.push(setup);
    const model = this.ready;
    if (!model) return;
    try {
      await setup(model);
    } catch (err) {
      // A setup that fails because the connection just died will be replayed; any other failure is the caller's.
      if (this.ready === model) {
        this.removeSetup(setup);
        throw err;
      }
    }
  }

  removeSetup(setup: AmqpSetup): void {
    const i = this.setups.indexOf(setup);
    if (i >= 0) this.setups.splice(i, 1);
  }

  /** Resolves with the ready connection; rejects with QUEUE_UNAVAILABLE once `deadline` (epoch ms) passes. */
  async waitReady(deadline: number): Promise<ChannelModel> {
    for (;;) {
      if (this.closing) throw new AppError(ErrorCode.QUEUE_UNAVAILABLE, 'The queue connection is closed.');
      if (this.ready) return this.ready;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AppError(
          ErrorCode.QUEUE_UNAVAILABLE,
          `RabbitMQ at ${redactUrl(this.options.url)} is not reachable; check that the broker is running.`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops the current connection (e.g. after a channel-level error); the loop reconnects. */
  restart(reason: string): void {
    const model = this.ready;
    if (!model) return;
    this.options.logger.warn({ reason }, 'amqp: restarting the connection');
    model.close().catch(() => {});
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    const model = this.ready;
    this.ready = undefined;
    this.notify();
    if (model) await model.close().catch(() => {});
    await this.loop;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    for (let failures = 0; !this.closing; ) {
      const outcome = await this.connectOnce();
      if (this.closing) break;
      failures = outcome === 'served' ? 0 : failures + 1;
      const delay = backoffMs(failures, this.options.minBackoffMs, this.options.maxBackoffMs);
      logger.debug({ delayMs: delay, failures }, 'amqp: reconnecting after backoff');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One connection's life: connect, replay setups, serve until it closes. */
  private async connectOnce(): Promise<'served' | 'failed'> {
    const { logger, url } = this.options;
    let model: ChannelModel | undefined;
    try {
      const connect = this.options.connect ?? amqplib.connect;
      model = await connect(url, {
        clientProperties: { connection_name: this.options.connectionName ?? 'signservice' },
        timeout: CONNECT_TIMEOUT_MS, // a broker that accepts TCP but never answers must not stall the loop
      });
      const closed = new Promise<Error | undefined>((resolve) => model?.once('close', resolve));
      model.on('error', (err: Error) => logger.warn({ err }, 'amqp: connection error'));
      model.on('blocked', (reason: string) => logger.warn({ reason }, 'amqp: broker blocked publishing'));
      model.on('unblocked', () => logger.info({}, 'amqp: broker unblocked publishing'));
      await this.replaySetups(model);
      if (this.closing) {
        await model.close().catch(() => {});
        return 'served';
      }
      this.ready = model;
      this.notify();
      logger.info({ url: redactUrl(url) }, 'amqp: connected');
      const err = await closed;
      if (this.ready === model) this.ready = undefined;
      if (!this.closing) logger.warn({ err }, 'amqp: connection lost');
      return 'served';
    } catch (err) {
      logger.warn({ err, url: redactUrl(url) }, 'amqp: connect or setup failed');
      if (this.ready === model) this.ready = undefined;
      await model?.close().catch(() => {});
      return 'failed';
    }
  }

  /** Runs every setup once on `model`, including setups registered while the replay was running. */
  private async replaySetups(model: ChannelModel): Promise<void> {
    const done = new Set<AmqpSetup>();
    for (;;) {
      const next = this.setups.find((s) => !done.has(s));
      if (!next) return;
      done.add(next);
      await next(model);
    }
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable AMQP URL)';
  }
}
