/**
 * The small HTTP app of a worker running alone (`npm run start:worker`): the same /health, /ready and
 * /metrics routes as the activity app, on WORKER_PORT, and nothing else.
 */
import Koa from 'koa';
import { type HealthRoutesDeps, healthRoutes } from '../activity/routes/health.js';
import { metricsRoutes } from '../activity/routes/metrics.js';
import type { ServiceMetrics } from '../shared/health/service-metrics.js';

/** Builds the app; never listens. */
export function createHealthApp(deps: { health: HealthRoutesDeps; metrics: ServiceMetrics }): Koa {
  const app = new Koa();
  for (const router of [healthRoutes(deps.health), metricsRoutes(deps.metrics)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
