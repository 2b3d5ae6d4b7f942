/**
 * Liveness and readiness. GET /health answers 200 while the process runs (restart it when it does not);
 * GET /ready answers 200 or 503 with the readiness report (store, queue, tokens), for a load balancer or
 * an operator. Both are no-store JSON and carry nothing secret.
 */
import { Router } from '@koa/router';
import type { ReadinessReport } from '../../shared/health/readiness.js';

export interface HealthRoutesDeps {
  /** Runs the readiness probes (shared/health/readiness.ts). */
  readiness: () => Promise<ReadinessReport>;
  /** Which process answers ('activity', 'worker', 'activity+worker'), shown in /health. */
  role: string;
}

/** The /health and /ready routes. */
export function healthRoutes(deps: HealthRoutesDeps): Router {
  const router = new Router();
  router.get('/health', async function health(ctx) {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', role: deps.role, uptimeSeconds: Math.round(process.uptime()) };
  });
  router.get('/ready', async function ready(ctx) {
    const report = await deps.readiness();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });
  return router;
}
