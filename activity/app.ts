/**
 * The activity app: `createApp(deps)` builds the Koa application from its dependencies and never listens
 * (main does; tests use `app.callback()`). Middleware order: errors first, then security headers, then
 * the routes.
 */
import Koa from 'koa';
import type { Config } from '../shared/config.js';
import type { MasterKey } from '../shared/crypto/master-key.js';
import type { ServiceMetrics } from '../shared/health/service-metrics.js';
import { type Logger, silentLogger } from '../shared/logger.js';
import { loadTemplates, type TemplateRenderer } from '../shared/mail/render-template.js';
import { createEnrollmentService } from '../shared/otp/enrollment-service.js';
import type { Store } from '../shared/store/store-ports.js';
import { errorHandler } from './middleware/error-handler.js';
import { securityHeaders } from './middleware/security-headers.js';
import { enrollRoutes } from './routes/enroll.js';
import { type HealthRoutesDeps, healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';

export interface AppDeps {
  config: Pick<Config, 'publicBaseUrl' | 'otp' | 'enrollmentLinkMinutes' | 'defaultLanguage'>;
  store: Store;
  masterKey: MasterKey;
  logger?: Logger;
  /** @default templates loaded from the repository's templates/ */
  renderer?: TemplateRenderer;
  /** @default () => new Date() */
  now?: () => Date;
  /** Trust X-Forwarded-* from a reverse proxy (Koa `app.proxy`). @default false */
  proxy?: boolean;
  /** /health and /ready (routes/health.ts) and /metrics (routes/metrics.ts); left out when absent. */
  operations?: { health: HealthRoutesDeps; metrics: ServiceMetrics };
}

/** Builds the Koa application. */
export function createApp(deps: AppDeps): Koa {
  const logger = deps.logger ?? silentLogger;
  const renderer = deps.renderer ?? loadTemplates();
  const { config } = deps;
  const enrollment = createEnrollmentService({
    store: deps.store,
    masterKey: deps.masterKey,
    issuer: config.otp.issuer,
    publicBaseUrl: config.publicBaseUrl,
    linkMinutes: config.enrollmentLinkMinutes,
    logger,
    ...(deps.now ? { now: deps.now } : {}),
  });

  const app = new Koa({ proxy: deps.proxy ?? false });
  app.use(errorHandler({ logger, renderer, defaultLanguage: config.defaultLanguage }));
  app.use(securityHeaders({ hsts: config.publicBaseUrl.startsWith('https:') }));
  const enroll = enrollRoutes({ enrollment, renderer, defaultLanguage: config.defaultLanguage });
  app.use(enroll.routes());
  app.use(enroll.allowedMethods());
  if (deps.operations) {
    for (const router of [healthRoutes(deps.operations.health), metricsRoutes(deps.operations.metrics)]) {
      app.use(router.routes());
      app.use(router.allowedMethods());
    }
  }
  return app;
}
