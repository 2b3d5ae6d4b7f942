/**
 * The worker inside a process (worker/main.ts alone, or activity/main.ts in embedded mode): it consumes
 * `internal` and the route of each served token while that token is usable, runs the sign-request
 * pipeline on every job within its byte budget, runs the recovery sweep, and feeds the metrics. `close()` stops consuming and waits for the jobs in flight;
 * the caller then closes the queue, the store and the tokens, in that order.
 */
import path from 'node:path';
import type { Bitrix24App } from '../shared/bitrix24/bitrix24-app.js';
import type { Config } from '../shared/config.js';
import { loadMasterKey } from '../shared/crypto/load-master-key.js';
import type { MasterKey } from '../shared/crypto/master-key.js';
import { errorOutcome } from '../shared/errors.js';
import type { ServiceMetrics } from '../shared/health/service-metrics.js';
import type { TokenReport } from '../shared/health/token-report.js';
import type { Logger } from '../shared/logger.js';
import {
  DEFAULT_RETRY_POLICY,
  type DeliveredJob,
  type JobQueue,
  type RetryPolicy,
} from '../shared/queue/queue-port.js';
import { type CertificateKeySource, createCertificateKeySource } from '../shared/signing/certificate-key-source.js';
import type { ServedTokens } from '../shared/signing/served-tokens.js';
import { INTERNAL_ROUTE } from '../shared/signing/sign-route.js';
import type { Store } from '../shared/store/store-ports.js';
import type { RobotDeps } from './bitrix24/finish-robot-step.js';
import { startRobotSweep, withRobotJobs } from './bitrix24/robot-jobs.js';
import { withByteBudget } from './budgeted-handler.js';
import { ByteBudget } from './byte-budget.js';
import { failParkedRequest } from './fail-parked-request.js';
import { bitrix24DocumentGateway } from './gateways/bitrix24-document-gateway.js';
import { bitrix24Notifier } from './gateways/bitrix24-notifier.js';
import { bitrix24WorkflowCallback } from './gateways/bitrix24-workflow-callback.js';
import { type DocumentGateway, routeDocuments } from './gateways/document-gateway.js';
import { fileDocumentGateway } from './gateways/file-document-gateway.js';
import { logNotifier, type Notifier } from './gateways/notifier.js';
import { noWorkflowCallback, type WorkflowCallback } from './gateways/workflow-callback.js';
import type { PipelineDeps, StepObserver } from './pipeline-context.js';
import { startRecoverySweep } from './recovery/recovery-sweep.js';
import { RouteConsumers } from './route-consumers.js';
import { createSignRequestHandler } from './sign-request-handler.js';
import { signingLevels } from './signing-levels.js';
import { startTokenMonitor } from './token-monitor.js';

export interface WorkerDeps {
  config: Pick<Config, 'dataDir' | 'masterKey' | 'defaultLanguage' | 'worker'> & Partial<Pick<Config, 'publicBaseUrl'>>;
  store: Store;
  queue: JobQueue;
  tokens: ServedTokens;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** The policy the queue was opened with (its maxAttempts decides when a request fails). @default DEFAULT_RETRY_POLICY */
  retry?: RetryPolicy;
  /** Overrides for tests and for the Bitrix24 gateways; @default local files, log notifier, no workflow. */
  documents?: DocumentGateway;
  notifier?: Notifier;
  workflow?: WorkflowCallback;
  keys?: CertificateKeySource;
  /** @default 5000 */
  tokenCheckIntervalMs?: number;
  /** Bitrix24 deals and robots (the app's keys configured): deal files, timeline, workflow steps, the robot sweep. */
  bitrix24?: { app: Bitrix24App; sweepIntervalMs: number };
}

export interface RunningWorker {
  /** Every route this worker serves (consumed or paused). */
  readonly routes: readonly string[];
  /** The routes consumed right now. */
  consuming(): string[];
  tokenReports(): TokenReport[];
  /** Stops consuming and waits for the jobs in flight. */
  close(): Promise<void>;
}

function stepObserver(metrics: ServiceMetrics): StepObserver {
  return {
    step(name, seconds, outcome) {
      if (outcome !== 'skipped') metrics.stepDuration.observe({ step: name, outcome }, seconds);
    },
  };
}

/** The sign-job pipeline's ports (defaults: local files, log notifier, no workflow) and the robot's, if any. */
function pipelineDepsOf(deps: WorkerDeps, logger: Logger): { pipeline: PipelineDeps; robot: RobotDeps | undefined } {
  const { config, metrics } = deps;
  let masterKey: MasterKey | undefined;
  const keys =
    deps.keys ??
    createCertificateKeySource({
      dataDir: config.dataDir,
      tokens: deps.tokens,
      // Loaded on the first internal-CA signature only.
      masterKey: () => {
        masterKey ??= loadMasterKey(config.masterKey, { warn: (line) => logger.warn({}, line) });
        return masterKey;
      },
    });
  const files = fileDocumentGateway({ maxBytes: config.worker.maxDocumentBytes });
  const robot = robotDepsOf(deps, logger);
  const b24 = robot
    ? {
        documents: bitrix24DocumentGateway({
          b24: robot.b24,
          maxBytes: config.worker.maxDocumentBytes,
          logger,
          leases: deps.store.leases,
        }),
        notifier: bitrix24Notifier({
          ...robot,
          fallback: logNotifier(logger),
          ...(config.publicBaseUrl ? { verifyUrl: `${config.publicBaseUrl}/verify` } : {}),
        }),
        workflow: bitrix24WorkflowCallback(robot),
      }
    : undefined;
  const pipeline: PipelineDeps = {
    store: deps.store,
    keys,
    documents: deps.documents ?? routeDocuments({ file: files, ...(b24 ? { bitrix24: b24.documents } : {}) }),
    notifier: deps.notifier ?? b24?.notifier ?? logNotifier(logger),
    workflow: deps.workflow ?? b24?.workflow ?? noWorkflowCallback,
    logger,
    maxAttempts: (deps.retry ?? DEFAULT_RETRY_POLICY).maxAttempts,
    stampLanguage: config.defaultLanguage,
    levelFor: signingLevels(config.worker),
    ...(metrics ? { observer: stepObserver(metrics) } : {}),
  };
  return { pipeline, robot };
}

/** The queue handler of sign jobs: the signing pipeline, with the robot cases when Bitrix24 is configured. */
function handlerOf(pipeline: PipelineDeps, robot: RobotDeps | undefined) {
  const signing = createSignRequestHandler(pipeline);
  return robot ? withRobotJobs(robot, signing) : signing;
}

/** What the Bitrix24 gateways and the robot sweep share, when the app's keys are configured. */
function robotDepsOf(deps: WorkerDeps, logger: Logger): RobotDeps | undefined {
  if (!deps.bitrix24) return undefined;
  return {
    store: deps.store,
    b24: deps.bitrix24.app,
    logger,
    language: deps.config.defaultLanguage,
    now: () => new Date(),
  };
}

/** The queue handler: the pipeline, counted in the metrics (in flight, outcome). */
function instrumented(pipeline: ReturnType<typeof handlerOf>, metrics: ServiceMetrics | undefined) {
  return async (job: DeliveredJob): Promise<void> => {
    metrics?.jobsInFlight.inc();
    try {
      // Not inside `metrics?.…(…)`: without metrics, optional chaining would skip the pipeline call itself.
      const result = await pipeline(job);
      metrics?.jobOutcomes.inc({ result });
    } catch (error) {
      metrics?.jobOutcomes.inc({ result: errorOutcome(error).transient ? 'retry' : 'rejected' });
      throw error;
    } finally {
      metrics?.jobsInFlight.dec();
    }
  };
}

/** Starts the worker: checks the tokens, then consumes `internal` and every usable token's route. */
export async function startWorker(deps: WorkerDeps): Promise<RunningWorker> {
  const { config, queue, tokens } = deps;
  const logger = deps.logger.child({ component: 'worker' });
  const { pipeline, robot } = pipelineDepsOf(deps, logger);
  // Outermost: a job waiting for memory is not in flight yet.
  const handler = withByteBudget(instrumented(handlerOf(pipeline, robot), deps.metrics), {
    budget: new ByteBudget(config.worker.byteBudget),
    store: deps.store,
    documents: pipeline.documents,
  });
  const consumers = new RouteConsumers(
    queue,
    handler,
    { prefetch: config.worker.prefetch, onParked: async (parked) => void (await failParkedRequest(pipeline, parked)) },
    logger,
  );
  const sweep = robot && deps.bitrix24 ? startRobotSweep(robot, deps.bitrix24.sweepIntervalMs) : undefined;
  const routes = [INTERNAL_ROUTE, ...tokens.tokens.map((t) => t.route)];
  const recovery = startRecoverySweep({
    store: deps.store,
    queue,
    pipeline,
    logger,
    routes: () => routes,
    fileDirs: ['ca', path.join('ca', 'issued'), 'inventory'].map((dir) => path.join(config.dataDir, dir)),
    intervalMs: config.worker.recoverySweepMs,
  });
  // The first round before any job is taken: a lost queue is rebuilt from the store before it is served.
  await recovery.first;
  await consumers.resume(INTERNAL_ROUTE);
  const monitor = await startTokenMonitor({
    tokens,
    logger,
    ...(deps.tokenCheckIntervalMs ? { intervalMs: deps.tokenCheckIntervalMs } : {}),
    onChange: (token, report) => (report.usable ? consumers.resume(token.route) : consumers.pause(token.route)),
  });
  // List the tokens now: the snapshot in the data directory lets `request submit` find their certificates.
  for (const token of tokens.tokens) await token.listing().catch(() => undefined);
  logger.info({ routes, consuming: consumers.routes }, 'worker started');
  return {
    routes,
    consuming: () => consumers.routes,
    tokenReports: () => monitor.reports(),
    async close() {
      monitor.stop();
      await sweep?.stop();
      await recovery.stop();
      await consumers.close();
      logger.info({}, 'worker stopped: no job in flight');
    },
  };
}
