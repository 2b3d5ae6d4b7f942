/**
 * The operations endpoints and their own listener. `/health` answers 200 while the process runs (restart it
 * when it does not); `/ready` answers 200 or 503 with the readiness report (store, queue, tokens) for a load
 * balancer or an operator; `/metrics` is the Prometheus text of this process. `/ready` and `/metrics` say
 * what the service is made of (queues, tokens, their health), so they are served only by the operations
 * app, which the mains bind to OPS_HOST (default 127.0.0.1): OPS_PORT for `npm start` / `start:activity`,
 * WORKER_PORT for `start:worker`. The public app keeps `/health` alone (`livenessRoutes`). All answers are
 * no-store and carry nothing secret.
 */
import { Router } from '@koa/router';
import Koa from 'koa';
import type { ReadinessReport } from './readiness.js';
import type { ServiceMetrics } from './service-metrics.js';

export interface HealthRoutesDeps {
  /** Runs the readiness probes (readiness.ts). */
  readiness: () => Promise<ReadinessReport>;
  /** Which process answers ('activity', 'worker', 'activity+worker'), shown in /health. */
  role: string;
}

/** GET /health only: what a public port may answer. */
export function livenessRoutes(deps: Pick<HealthRoutesDeps, 'role'>): Router {
  const router = new Router();
  router.get('/health', async function health(ctx) {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', role: deps.role, uptimeSeconds: Math.round(process.uptime()) };
  });
  return router;
}

/** GET /ready and GET /metrics. */
function operationsRoutes(deps: HealthRoutesDeps, metrics: ServiceMetrics): Router {
  const router = new Router();
  router.get('/ready', async function ready(ctx) {
    const report = await deps.readiness();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });
  router.get('/metrics', async function prometheusMetrics(ctx) {
    const text = await metrics.text();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = text;
  });
  return router;
}

/** The operations app (/health, /ready, /metrics and nothing else); never listens itself. */
export function createOpsApp(deps: { health: HealthRoutesDeps; metrics: ServiceMetrics }): Koa {
  const app = new Koa();
  for (const router of [livenessRoutes(deps.health), operationsRoutes(deps.health, deps.metrics)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
