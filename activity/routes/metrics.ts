/** GET /metrics: the Prometheus text exposition of this process (shared/health/service-metrics.ts). */
import { Router } from '@koa/router';
import type { ServiceMetrics } from '../../shared/health/service-metrics.js';

/** The /metrics route. */
export function metricsRoutes(metrics: ServiceMetrics): Router {
  const router = new Router();
  router.get('/metrics', async function prometheusMetrics(ctx) {
    const text = await metrics.text();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = text;
  });
  return router;
}
