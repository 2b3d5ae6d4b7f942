/**
 * RabbitMQ names and declarations for the job queue. Everything is declared idempotently and re-declared
 * on every (re)connect, so a broker that lost its definitions gets them back before the first publish.
 *
 *   <prefix>.jobs            direct exchange; routing key = route (e.g. `token:SignToken1`, `internal`)
 *   <prefix>.<route>         quorum queue bound with the route; delivery limit → parked (a message that
 *                            keeps killing its worker cannot loop forever)
 *   <prefix>.retry.<ms>      fanout exchange + quorum queue with x-message-ttl = ms, dead-lettering back to
 *                            <prefix>.jobs; the routing key of the republished message is the route, which
 *                            dead-lettering keeps, so the job returns to its own queue after the delay
 *   <prefix>.parked.<route>  quorum queue; messages carry the reason and attempt headers below
 */
import type { Channel, Options } from 'amqplib';

/** The attempt number of a delivery (1 for the first); incremented on each republish to a retry tier. */
export const ATTEMPT_HEADER = 'x-signservice-attempt';
/** Why a parked message was parked. */
export const REASON_HEADER = 'x-signservice-reason';
/** How many attempts a parked message had. */
export const ATTEMPTS_HEADER = 'x-signservice-attempts';
/** When a message was parked (ms since the epoch; the AMQP timestamp property only has seconds). */
export const PARKED_AT_HEADER = 'x-signservice-parked-at';

/**
 * Deliveries without an outcome (the worker's connection died holding the message) before RabbitMQ
 * dead-letters a message to the parking queue. Handler failures never count: they are acked and
 * republished. Generous, because every broker connection loss costs each in-flight message one.
 */
export const DELIVERY_LIMIT = 20;

/** Quorum queues with at-least-once dead-lettering, which requires `reject-publish` overflow (RabbitMQ ≥ 3.10). */
const QUORUM_AT_LEAST_ONCE = {
  'x-queue-type': 'quorum',
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
};

/** Queue and exchange names under one prefix (configurable so test runs do not collide). */
export class AmqpNames {
  constructor(readonly prefix: string) {}

  get jobsExchange(): string {
    return `${this.prefix}.jobs`;
  }

  routeQueue(route: string): string {
    return `${this.prefix}.${route}`;
  }

  parkedQueue(route: string): string {
    return `${this.prefix}.parked.${route}`;
  }

  /** Exchange and queue of one delay tier share this name. */
  retryTier(delayMs: number): string {
    return `${this.prefix}.retry.${delayMs}`;
  }
}

/** Declares the jobs exchange and one retry tier per delay. */
export async function declareBase(ch: Channel, names: AmqpNames, tiersMs: readonly number[]): Promise<void> {
  await ch.assertExchange(names.jobsExchange, 'direct', { durable: true });
  for (const ms of tiersMs) {
    const tier = names.retryTier(ms);
    await ch.assertExchange(tier, 'fanout', { durable: true });
    const args: Options.AssertQueue['arguments'] = {
      ...QUORUM_AT_LEAST_ONCE,
      'x-message-ttl': ms,
      'x-dead-letter-exchange': names.jobsExchange,
    };
    await ch.assertQueue(tier, { durable: true, arguments: args });
    await ch.bindQueue(tier, tier, '');
  }
}

/** Declares a route's work queue (bound to the jobs exchange) and its parking queue. */
export async function declareRoute(ch: Channel, names: AmqpNames, route: string): Promise<void> {
  const parked = names.parkedQueue(route);
  await ch.assertQueue(parked, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const queue = names.routeQueue(route);
  await ch.assertQueue(queue, {
    durable: true,
    arguments: {
      ...QUORUM_AT_LEAST_ONCE,
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': parked,
    },
  });
  await ch.bindQueue(queue, names.jobsExchange, route);
}
