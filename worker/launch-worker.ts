/**
 * Opens the served tokens (PINs read from their files now) and starts the worker on an open store and
 * queue; used by both mains. Token snapshots go to the data directory, so the inventory remembers the
 * certificates of a token that is later unplugged.
 */

import type { Bitrix24App } from '../shared/bitrix24/bitrix24-app.js';
import type { Config } from '../shared/config.js';
import { FileTokenSnapshotStore } from '../shared/crypto/file-token-snapshot-store.js';
import type { ServiceMetrics } from '../shared/health/service-metrics.js';
import type { Logger } from '../shared/logger.js';
import type { JobQueue } from '../shared/queue/queue-port.js';
import { openServedTokens, type ServedTokens } from '../shared/signing/served-tokens.js';
import type { Store } from '../shared/store/store-ports.js';
import { startSigningNotices } from './notices/launch-notices.js';
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
  /** The process's Bitrix24 side (shared with the HTTP app in one process, so they share the portals' budget). */
  bitrix24?: Bitrix24App;
}): Promise<LaunchedWorker> {
  const { config, logger } = options;
  const tokens = await openServedTokens(config.worker.tokens, {
    snapshots: new FileTokenSnapshotStore(config.dataDir),
    logger,
  });
  try {
    const { bitrix24, ...rest } = options;
    const worker = await startWorker({
      ...rest,
      tokens,
      ...(bitrix24 ? { bitrix24: { app: bitrix24, sweepIntervalMs: config.bitrix24.sweepIntervalMs } } : {}),
    });
    // The signing notices (request, reminder, outcome, administrator alert) go out from the workers.
    const notices = bitrix24 ? startSigningNotices({ config, store: options.store, b24: bitrix24, logger }) : undefined;
    if (!notices) return { tokens, worker };
    return {
      tokens,
      worker: {
        ...worker,
        async close() {
          await notices.stop();
          await worker.close();
        },
      },
    };
  } catch (error) {
    await tokens.close();
    throw error;
  }
}
