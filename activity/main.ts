#!/usr/bin/env node
/**
 * `npm start`: the SignService HTTP app. In embedded mode (no AMQP_URL, no MONGO_URL) the same process also
 * runs the signing worker — one process, the SQLite store and the queue file in the data directory — and
 * prints where to find it and where its data lives. `--no-worker` (`npm run start:activity`) serves HTTP
 * only; `--worker` runs the worker in production mode too. Two listeners: the public app on HOST:PORT
 * (with /health), and the operations app (/health, /ready, /metrics) on OPS_HOST:OPS_PORT, 127.0.0.1 by
 * default. Shutdown on SIGTERM / SIGINT: not ready, stop consuming, finish the jobs in flight, close HTTP,
 * the queue, make a last sign log checkpoint if the head moved, close the store, then finalize PKCS#11.
 */
import { parseArgs } from 'node:util';
import { createSignLogCheckpointer } from '../shared/audit/sign-log-checkpointer.js';
import { createBitrix24App } from '../shared/bitrix24/bitrix24-app.js';
import { type Config, loadServiceConfig } from '../shared/config.js';
import { startCrlRefresh } from '../shared/crypto/internal-ca/crl-refresh.js';
import { FileCaStore } from '../shared/crypto/internal-ca/file-ca-store.js';
import { loadMasterKey } from '../shared/crypto/load-master-key.js';
import { errorOutcome } from '../shared/errors.js';
import { secureDataDirAtStart } from '../shared/fs/private-data-dir.js';
import { createOpsApp } from '../shared/health/ops-app.js';
import { checkReadiness } from '../shared/health/readiness.js';
import { createServiceMetrics } from '../shared/health/service-metrics.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createMailer } from '../shared/mail/mailer.js';
import { checkQueueFile, checkStoreFile } from '../shared/process/check-data-files.js';
import { handleShutdownSignals } from '../shared/process/graceful-shutdown.js';
import { displayUrl, type ListeningServer, listen } from '../shared/process/http-server.js';
import { integrationLines } from '../shared/process/integrations.js';
import { openQueue } from '../shared/process/open-queue.js';
import { INTERNAL_ROUTE } from '../shared/signing/sign-route.js';
import { createStore } from '../shared/store/create-store.js';
import { type LaunchedWorker, launchWorker } from '../worker/launch-worker.js';
import { createApp } from './app.js';

/** Whether this process signs too: flags win, else embedded mode (no broker, no MongoDB) does. */
function wantsWorker(config: Config, argv: string[]): boolean {
  const { values } = parseArgs({
    args: argv,
    options: { worker: { type: 'boolean' }, 'no-worker': { type: 'boolean' } },
    strict: true,
  });
  if (values['no-worker']) return false;
  if (values.worker) return true;
  return config.queue.kind === 'embedded' && config.store.kind === 'embedded';
}

function banner(
  config: Config,
  server: ListeningServer,
  ops: ListeningServer,
  launched: LaunchedWorker | undefined,
): string {
  const local = displayUrl(server.address);
  const opsUrl = displayUrl(ops.address);
  const tokens = launched?.tokens.tokens.map((t) => t.label) ?? [];
  const lines = [
    `SignService is running (${config.mode} mode; ${launched ? 'this process serves the web app and signs' : 'web app only, no worker'}).`,
    `  Base URL:  ${config.publicBaseUrl}   (PUBLIC_BASE_URL; listening on ${local})`,
    `  Health:    ${local}/health   operations (OPS_HOST:OPS_PORT): ${opsUrl}/ready   ${opsUrl}/metrics`,
    `  Admin:     ${config.publicBaseUrl}/admin   (operators: node dist/shared/cli/main.js admin add LOGIN --password-file F)`,
    config.store.kind === 'embedded'
      ? `  Data:      ${config.dataDir}  (${config.dataDirNamed}; store signservice.sqlite, signed documents in blobs/, CA, master.key)`
      : `  Store:     MongoDB, database ${config.store.dbName}; data directory ${config.dataDir} (${config.dataDirNamed})`,
    config.queue.kind === 'embedded'
      ? `  Queue:     ${config.dataDir}/queue.sqlite`
      : '  Queue:     RabbitMQ (AMQP_URL)',
    ...integrationLines(config),
  ];
  if (launched) {
    lines.push(
      `  Tokens:    ${tokens.length > 0 ? tokens.join(', ') : 'none (SIGNSERVICE_TOKENS); internal-CA certificates only'}`,
    );
  }
  lines.push('  Stop with Ctrl+C (twice to stop at once).');
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<void> {
  const config = loadServiceConfig();
  const withWorker = wantsWorker(config, argv);
  const role = withWorker ? 'activity+worker' : 'activity';
  const logger: Logger = createLogger({ level: config.logLevel, base: { service: 'signservice', role } });
  secureDataDirAtStart(config.dataDir, logger);
  checkStoreFile(config);
  const masterKey = loadMasterKey(config.masterKey, { warn: (line) => logger.warn({}, line) });
  const store = await createStore(config.store, masterKey);
  // Before anything appends: upgrades an old log (refusing a broken one) and checkpoints the head.
  const checkpointer = createSignLogCheckpointer({ store, masterKey, logger, config: config.signLog });
  await checkpointer.start();
  await checkQueueFile(config, store, logger);
  const queue = await openQueue(config, logger);
  let launched: LaunchedWorker | undefined;
  let shuttingDown = false;
  const metrics = createServiceMetrics({
    queue,
    routes: () => launched?.worker.routes ?? [INTERNAL_ROUTE],
    tokens: () => launched?.worker.tokenReports() ?? [],
  });
  // One Bitrix24 client for the HTTP app and the worker: one leaky bucket per portal in this process.
  const bitrix24 = createBitrix24App({ config: config.bitrix24, portals: store.portals, masterKey, logger });
  if (withWorker) {
    launched = await launchWorker({ config, store, queue, logger, metrics, ...(bitrix24 ? { bitrix24 } : {}) });
  }
  const readiness = () =>
    checkReadiness({
      store,
      queue,
      probeRoute: INTERNAL_ROUTE,
      tokens: () => launched?.worker.tokenReports() ?? [],
      shuttingDown: () => shuttingDown,
      disk: { dataDir: config.dataDir, minFreeBytes: config.minFreeDiskBytes },
    });
  const mailer = createMailer(config.mail, { logger });
  const app = createApp({
    config,
    store,
    masterKey,
    logger,
    mailer,
    operations: { health: { readiness, role }, metrics },
    queue,
    ...(bitrix24 ? { bitrix24: { app: bitrix24, queue } } : {}),
  });
  // The internal CA's published CRL is reissued before its nextUpdate.
  const crlRefresh = startCrlRefresh({
    store: new FileCaStore(config.dataDir),
    masterKey,
    intervalMs: config.publication.crlCheckIntervalMs,
    logger,
  });
  const server = await listen(app.callback(), config.http.host, config.http.port);
  const ops = await listen(
    createOpsApp({ health: { readiness, role }, metrics }).callback(),
    config.ops.host,
    config.ops.port,
  );
  process.stdout.write(banner(config, server, ops, launched));
  handleShutdownSignals(
    async () => {
      shuttingDown = true;
      crlRefresh.stop();
      await launched?.worker.close();
      await server.close();
      await ops.close();
      await queue.close();
      await checkpointer.close();
      await store.close();
      mailer.close();
      await launched?.tokens.close();
    },
    { logger, timeoutMs: config.worker.shutdownTimeoutMs },
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`signservice: cannot start: ${(error as Error)?.message ?? error}\n`);
  // Exit now: a half-started process may hold a reconnecting broker connection that would keep it alive.
  process.exit(errorOutcome(error).exit);
});
