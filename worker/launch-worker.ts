/**
 * Opens the served tokens (PINs read from their files now) and starts the worker on an open store and
 * queue; used by both mains. Token snapshots go to the data directory, so the inventory remembers the
 * certificates of a token that is later unplugged.
 */

import { snapshotStoreIn } from '../shared/cli/data-dir.js';
import type { Config } from '../shared/config.js';
import type { ServiceMetrics } from '../shared/health/service-metrics.js';
import type { Logger } from '../shared/logger.js';
import type { JobQueue } from '../shared/queue/queue-port.js';
import { openServedTokens, type ServedTokens } from '../shared/signing/served-tokens.js';
import type { Store } from '../shared/store/store-ports.js';
import { type RunningWorker, startWorker } from './start-worker.js';

export interface LaunchedWorker {
  tokens: ServedTokens;
  worker: RunningWorker;
}

/** Opens the tokens and starts the worker; closes the tokens again if the start fails. */
export async function launchWorker(options: {
  config: Config;
  store: Store;
  queue: JobQueue;
  logger: Logger;
  metrics?: ServiceMetrics;
}): Promise<LaunchedWorker> {
  const { config, logger } = options;
  const tokens = await openServedTokens(config.worker.tokens, { snapshots: snapshotStoreIn(config.dataDir), logger });
  try {
    const worker = await startWorker({ ...options, tokens });
    return { tokens, worker };
  } catch (error) {
    await tokens.close();
    throw error;
  }
}
