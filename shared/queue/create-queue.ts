/**
 * The one switch between the queue adapters: RabbitMQ when AMQP_URL is set, otherwise the embedded queue
 * in `<dataDir>/queue.sqlite` (shared/config.ts decides which from the environment). Each adapter is imported
 * only when chosen, so a process that never opens a queue (most CLI commands) never loads amqplib or SQLite.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { JobQueue, RetryPolicy } from './queue-port.js';

export interface CreateQueueDeps {
  /** The service data directory (the embedded queue file lives there). */
  dataDir: string;
  logger?: Logger;
  /** @default DEFAULT_RETRY_POLICY */
  retry?: RetryPolicy;
  /** Default prefetch of consumers. @default 8 */
  prefetch?: number;
  /** RabbitMQ only: first part of every exchange and queue name (tests use a unique one per run). @default 'signservice' */
  namePrefix?: string;
}

/** Opens the configured queue. RabbitMQ connects in the background (publish waits for it, up to 30 s). */
export async function createQueue(config: Config['queue'], deps: CreateQueueDeps): Promise<JobQueue> {
  const common = {
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(deps.prefetch ? { prefetch: deps.prefetch } : {}),
  };
  if (config.kind === 'amqp') {
    const { AmqpJobQueue } = await import('./amqp/amqp-queue.js');
    return new AmqpJobQueue({
      url: config.url,
      ...common,
      ...(deps.namePrefix ? { namePrefix: deps.namePrefix } : {}),
    });
  }
  const { EmbeddedJobQueue } = await import('./embedded/embedded-queue.js');
  return new EmbeddedJobQueue({ file: path.join(deps.dataDir, 'queue.sqlite'), ...common });
}
