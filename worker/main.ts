#!/usr/bin/env node
/**
 * `npm run start:worker`: a signing worker alone — it consumes `internal` and the queues of the tokens in
 * SIGNSERVICE_TOKENS, and serves /health, /ready and /metrics on OPS_HOST:WORKER_PORT (127.0.0.1 unless
 * configured otherwise: they are for the operator, not the public). Shutdown order on SIGTERM /
 * SIGINT: stop consuming, finish the jobs in flight, close the health server, the queue (channel, then
 * connection), make a last sign log checkpoint if the head moved, close the store, and finalize PKCS#11.
 */
import { createSignLogCheckpointer } from '../shared/audit/sign-log-checkpointer.js';
import { createBitrix24App } from '../shared/bitrix24/bitrix24-app.js';
import { loadServiceConfig } from '../shared/config.js';
import { loadMasterKey } from '../shared/crypto/load-master-key.js';
import { errorOutcome } from '../shared/errors.js';
import { secureDataDirAtStart } from '../shared/fs/private-data-dir.js';
import { createOpsApp } from '../shared/health/ops-app.js';
import { checkReadiness } from '../shared/health/readiness.js';
import { createServiceMetrics } from '../shared/health/service-metrics.js';
import { createLogger } from '../shared/logger.js';
import { checkQueueFile, checkStoreFile } from '../shared/process/check-data-files.js';
import { handleShutdownSignals } from '../shared/process/graceful-shutdown.js';
import { displayUrl, listen } from '../shared/process/http-server.js';
import { describeIntegrations } from '../shared/process/integrations.js';
import { openQueue } from '../shared/process/open-queue.js';
import { INTERNAL_ROUTE } from '../shared/signing/sign-route.js';
import { createStore } from '../shared/store/create-store.js';
import { type LaunchedWorker, launchWorker } from './launch-worker.js';

async function main(): Promise<void> {
  const config = loadServiceConfig();
  const logger = createLogger({ level: config.logLevel, base: { service: 'signservice', role: 'worker' } });
  secureDataDirAtStart(config.dataDir, logger);
  checkStoreFile(config);
  const masterKey = loadMasterKey(config.masterKey, { warn: (line) => logger.warn({}, line) });
  const store = await createStore(config.store, masterKey);
  // Before anything appends: upgrades an old log (refusing a broken one) and checkpoints the head.
  const checkpointer = createSignLogCheckpointer({ store, masterKey, logger, config: config.signLog });
  await checkpointer.start();
  await checkQueueFile(config, store, logger);
  const queue = await openQueue(config, logger);
  let shuttingDown = false;
  let launched: LaunchedWorker | undefined;
  const metrics = createServiceMetrics({
    queue,
    routes: () => launched?.worker.routes ?? [INTERNAL_ROUTE],
    tokens: () => launched?.worker.tokenReports() ?? [],
  });
  const bitrix24 = config.bitrix24.app
    ? createBitrix24App({ config: config.bitrix24, portals: store.portals, masterKey, logger })
    : undefined;
  launched = await launchWorker({ config, store, queue, logger, metrics, ...(bitrix24 ? { bitrix24 } : {}) });
  const { tokens, worker } = launched;
  const readiness = () =>
    checkReadiness({
      store,
      queue,
      probeRoute: INTERNAL_ROUTE,
      tokens: () => worker.tokenReports(),
      shuttingDown: () => shuttingDown,
      disk: { dataDir: config.dataDir, minFreeBytes: config.minFreeDiskBytes },
    });
  const app = createOpsApp({ health: { readiness, role: 'worker' }, metrics });
  const server = await listen(app.callback(), config.ops.host, config.worker.port);
  logger.info(
    {
      health: `${displayUrl(server.address)}/health`,
      routes: worker.routes,
      queue: queue.kind,
      store: store.kind,
      dataDir: config.dataDir,
      // Which integrations are off and why (the same lines as the start banner of `npm start`).
      integrations: Object.fromEntries(describeIntegrations(config).map((i) => [i.name, i.detail])),
    },
    'worker running',
  );
  handleShutdownSignals(
    async () => {
      shuttingDown = true;
      await worker.close();
      await server.close();
      await queue.close();
      await checkpointer.close();
      await store.close();
      await tokens.close();
    },
    { logger, timeoutMs: config.worker.shutdownTimeoutMs },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`signservice worker: cannot start: ${(error as Error)?.message ?? error}\n`);
  // Exit now: a half-started process may hold a reconnecting broker connection that would keep it alive.
  process.exit(errorOutcome(error).exit);
});
