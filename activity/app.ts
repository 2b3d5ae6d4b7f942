/**
 * The activity app: `createApp(deps)` builds the Koa application from its dependencies and never listens
 * (main does; tests use `app.callback()`). Middleware order: errors first, then security headers, then
 * the routes.
 */
import Koa, { type Context } from 'koa';
import type { Bitrix24App } from '../shared/bitrix24/bitrix24-app.js';
import { appUrls } from '../shared/bitrix24/robot-definition.js';
import type { Config } from '../shared/config.js';
import { FileCaStore } from '../shared/crypto/internal-ca/file-ca-store.js';
import type { MasterKey } from '../shared/crypto/master-key.js';
import { type HealthRoutesDeps, livenessRoutes } from '../shared/health/ops-app.js';
import type { ServiceMetrics } from '../shared/health/service-metrics.js';
import { type Logger, silentLogger } from '../shared/logger.js';
import type { Mailer } from '../shared/mail/mailer.js';
import { loadTemplates, type TemplateRenderer } from '../shared/mail/render-template.js';
import { createEnrollmentService } from '../shared/otp/enrollment-service.js';
import { lockoutAnnouncer } from '../shared/otp/lockout-announcer.js';
import type { JobQueue } from '../shared/queue/queue-port.js';
import type { CertificateKeySource } from '../shared/signing/certificate-key-source.js';
import type { Store } from '../shared/store/store-ports.js';
import { adminPanel } from './admin/admin-panel.js';
import { csrfTokens } from './middleware/csrf-guard.js';
import { errorHandler } from './middleware/error-handler.js';
import { securityHeaders } from './middleware/security-headers.js';
import { signingUiRouters } from './routes/b24-signing-ui.js';
import { bitrix24LifecycleRoutes } from './routes/bitrix24-lifecycle.js';
import { bitrix24OffRoutes } from './routes/bitrix24-off.js';
import { bitrix24RobotRoutes } from './routes/bitrix24-robot.js';
import { caPublicationRoutes } from './routes/ca-publication.js';
import { enrollRoutes } from './routes/enroll.js';
import { staticAssetRoutes } from './routes/static-assets.js';
import { verifyPageRoutes } from './routes/verify-page.js';

export interface AppDeps {
  config: Pick<Config, 'publicBaseUrl' | 'otp' | 'enrollmentLinkMinutes' | 'defaultLanguage'> &
    Partial<
      Pick<Config, 'dataDir' | 'worker' | 'adminToken' | 'publication' | 'limits' | 'adminEmail' | 'batchMaxDocuments'>
    >;
  /**
   * Sends enrollment links from the control panel and the lockout notices (to the signer and the
   * administrators); without it links can only be copied and lockouts are only logged.
   */
  mailer?: Mailer;
  store: Store;
  masterKey: MasterKey;
  logger?: Logger;
  /** @default templates loaded from the repository's templates/ */
  renderer?: TemplateRenderer;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * The process's job queue (embedded or RabbitMQ, as openQueue opened it): the control panel lists the parked
   * jobs and queue depth from it and queues retried requests on it. @default bitrix24.queue
   */
  queue?: JobQueue;
  /** Trust X-Forwarded-* from a reverse proxy (Koa `app.proxy`). @default false */
  proxy?: boolean;
  /**
   * The process's health and metrics: the public app serves GET /health from them, and the control panel's
   * authenticated /api/v1/operations reads them. /ready and /metrics are never served on the public port:
   * they live on the operations listener (shared/health/ops-app.ts). Left out when absent.
   */
  operations?: { health: HealthRoutesDeps; metrics: ServiceMetrics };
  /**
   * The Bitrix24 routes (install, app page, events, robot). Without it (the app's keys are not configured) every
   * /b24/… path answers 503 saying so.
   */
  bitrix24?: {
    app: Bitrix24App;
    queue: JobQueue;
    /** Certificates for the Sign dialog and approval page. @default the internal CA and token snapshots of config.dataDir */
    keys?: CertificateKeySource;
    /** For the calls made with a page's own AUTH_ID (user.current). @default global fetch */
    fetch?: typeof fetch;
  };
}

/** Bitrix24's server-to-server calls get JSON errors like the API; the app page (an iframe) gets HTML. */
function isJsonPath(ctx: Context): boolean {
  // The Sign dialog and the approval page are pages too; their script's status calls are JSON.
  const page = /^\/b24\/(placement\/|approve\/)/.test(ctx.path) && !ctx.path.endsWith('/status');
  return ctx.path.startsWith('/api/') || (ctx.path.startsWith('/b24/') && ctx.path !== '/b24/app' && !page);
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

  const csrf = csrfTokens(deps.masterKey);
  const app = new Koa({ proxy: deps.proxy ?? false });
  app.use(errorHandler({ logger, renderer, defaultLanguage: config.defaultLanguage, isApi: isJsonPath }));
  app.use(securityHeaders({ hsts: config.publicBaseUrl.startsWith('https:') }));
  const enroll = enrollRoutes({
    enrollment,
    renderer,
    defaultLanguage: config.defaultLanguage,
    csrf,
    origin: new URL(config.publicBaseUrl).origin,
  });
  app.use(enroll.routes());
  app.use(enroll.allowedMethods());
  app.use(staticAssetRoutes().routes());
  const panel = adminPanel({ deps, enrollment, renderer, logger, csrf });
  app.use(panel.middleware);
  for (const router of panel.routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  const caStore = config.dataDir ? new FileCaStore(config.dataDir) : undefined;
  // The internal CA's root, CRL and OCSP responder, and the verification page: public.
  const publication = [
    ...(caStore
      ? [caPublicationRoutes({ store: caStore, masterKey: deps.masterKey, ...(deps.now ? { now: deps.now } : {}) })]
      : []),
    verifyPageRoutes({
      renderer,
      csrf,
      publicBaseUrl: config.publicBaseUrl,
      defaultLanguage: config.defaultLanguage,
      ca: caStore,
      trustRootFiles: config.publication?.trustRootFiles ?? [],
      ...(config.publication ? { maxBytes: config.publication.verifyMaxBytes } : {}),
    }),
  ];
  for (const router of publication) app.use(router.routes()).use(router.allowedMethods());
  if (deps.bitrix24) {
    const b24 = {
      store: deps.store,
      masterKey: deps.masterKey,
      b24: deps.bitrix24.app,
      queue: deps.bitrix24.queue,
      urls: appUrls(config.publicBaseUrl),
      logger,
      now: deps.now ?? (() => new Date()),
    };
    const signing = signingUiRouters({
      config,
      csrf,
      onLocked: lockoutAnnouncer({
        store: deps.store,
        mailer: deps.mailer,
        renderer,
        defaultLanguage: config.defaultLanguage,
        ...(config.adminEmail ? { adminEmail: config.adminEmail } : {}),
        b24: deps.bitrix24.app,
        logger,
      }),
      store: deps.store,
      masterKey: deps.masterKey,
      renderer,
      b24: deps.bitrix24.app,
      queue: deps.bitrix24.queue,
      logger,
      now: b24.now,
      ...(deps.bitrix24.keys ? { keys: deps.bitrix24.keys } : {}),
      ...(deps.bitrix24.fetch ? { fetch: deps.bitrix24.fetch } : {}),
    });
    const lifecycle = bitrix24LifecycleRoutes({ ...b24, openPanel: panel.openFromBitrix24 });
    for (const router of [lifecycle, bitrix24RobotRoutes(b24), ...signing]) {
      app.use(router.routes());
      app.use(router.allowedMethods());
    }
  } else {
    app.use(bitrix24OffRoutes().routes());
  }
  if (deps.operations) {
    const router = livenessRoutes(deps.operations.health);
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}
