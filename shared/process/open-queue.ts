/** Opens the configured job queue with the service's settings (data directory, logger, AMQP name prefix). */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createQueue } from '../queue/create-queue.js';
import type { JobQueue } from '../queue/queue-port.js';

/** createQueue for a parsed Config; every process (activity, worker, CLI) opens the queue this way. */
export function openQueue(config: Pick<Config, 'queue' | 'dataDir'>, logger?: Logger): Promise<JobQueue> {
  const prefix = config.queue.kind === 'amqp' ? config.queue.namePrefix : undefined;
  return createQueue(config.queue, {
    dataDir: config.dataDir,
    ...(logger ? { logger } : {}),
    ...(prefix ? { namePrefix: prefix } : {}),
  });
}
